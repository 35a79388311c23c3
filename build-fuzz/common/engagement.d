build-fuzz/common/engagement.o: common/engagement.c common/engagement.h \
  common/interactions.h common/intern.h common/timeparse.h \
  common/radix.h common/xalloc.h common/banned.h

common/engagement.h:

common/interactions.h:

common/intern.h:

common/timeparse.h:

common/radix.h:

common/xalloc.h:

common/banned.h:
