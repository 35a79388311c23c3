build-fuzz/common/model.o: common/model.c common/model.h common/intern.h \
  common/radix.h common/stream.h common/timeparse.h common/xalloc.h \
  common/banned.h

common/model.h:

common/intern.h:

common/radix.h:

common/stream.h:

common/timeparse.h:

common/xalloc.h:

common/banned.h:
