build-fuzz/common/csvin.o: common/csvin.c common/csvin.h common/handoff.h \
  common/xalloc.h common/banned.h

common/csvin.h:

common/handoff.h:

common/xalloc.h:

common/banned.h:
