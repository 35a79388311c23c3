build-fuzz/common/als.o: common/als.c common/als.h common/parallel.h \
  common/rng.h common/xalloc.h common/banned.h

common/als.h:

common/parallel.h:

common/rng.h:

common/xalloc.h:

common/banned.h:
