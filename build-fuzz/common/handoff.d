build-fuzz/common/handoff.o: common/handoff.c common/handoff.h \
  common/banned.h

common/handoff.h:

common/banned.h:
