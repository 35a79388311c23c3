build-fuzz/common/radix.o: common/radix.c common/radix.h common/xalloc.h \
  common/banned.h

common/radix.h:

common/xalloc.h:

common/banned.h:
