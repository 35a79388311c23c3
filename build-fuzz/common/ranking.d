build-fuzz/common/ranking.o: common/ranking.c common/ranking.h \
  common/intern.h common/radix.h common/xalloc.h common/banned.h

common/ranking.h:

common/intern.h:

common/radix.h:

common/xalloc.h:

common/banned.h:
