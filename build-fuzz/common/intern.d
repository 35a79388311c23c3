build-fuzz/common/intern.o: common/intern.c common/intern.h \
  common/xalloc.h common/banned.h

common/intern.h:

common/xalloc.h:

common/banned.h:
