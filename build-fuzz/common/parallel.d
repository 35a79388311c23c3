build-fuzz/common/parallel.o: common/parallel.c common/parallel.h \
  common/banned.h

common/parallel.h:

common/banned.h:
