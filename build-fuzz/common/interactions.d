build-fuzz/common/interactions.o: common/interactions.c \
  common/interactions.h common/intern.h common/handoff.h common/stream.h \
  common/xalloc.h common/banned.h

common/interactions.h:

common/intern.h:

common/handoff.h:

common/stream.h:

common/xalloc.h:

common/banned.h:
