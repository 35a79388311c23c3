build-fuzz/common/output.o: common/output.c common/output.h \
  common/xalloc.h common/banned.h

common/output.h:

common/xalloc.h:

common/banned.h:
