build-fuzz/common/xalloc.o: common/xalloc.c common/xalloc.h \
  common/banned.h

common/xalloc.h:

common/banned.h:
