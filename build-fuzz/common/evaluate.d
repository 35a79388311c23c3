build-fuzz/common/evaluate.o: common/evaluate.c common/evaluate.h \
  common/interactions.h common/intern.h common/audience.h \
  common/groups.h common/engagement.h common/timeparse.h common/json.h \
  common/ranking.h common/rng.h common/xalloc.h common/banned.h

common/evaluate.h:

common/interactions.h:

common/intern.h:

common/audience.h:

common/groups.h:

common/engagement.h:

common/timeparse.h:

common/json.h:

common/ranking.h:

common/rng.h:

common/xalloc.h:

common/banned.h:
