build-fuzz/common/stream.o: common/stream.c common/stream.h \
  common/intern.h common/cli.h common/handoff.h common/timeparse.h \
  common/xalloc.h common/banned.h

common/stream.h:

common/intern.h:

common/cli.h:

common/handoff.h:

common/timeparse.h:

common/xalloc.h:

common/banned.h:
