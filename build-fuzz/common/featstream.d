build-fuzz/common/featstream.o: common/featstream.c common/featstream.h \
  common/engagement.h common/interactions.h common/intern.h \
  common/timeparse.h common/groups.h common/stream.h common/xalloc.h \
  common/banned.h

common/featstream.h:

common/engagement.h:

common/interactions.h:

common/intern.h:

common/timeparse.h:

common/groups.h:

common/stream.h:

common/xalloc.h:

common/banned.h:
