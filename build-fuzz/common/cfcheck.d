build-fuzz/common/cfcheck.o: common/cfcheck.c common/cfcheck.h \
  common/als.h common/interactions.h common/intern.h common/audience.h \
  common/groups.h common/json.h common/parallel.h common/radix.h \
  common/ranking.h common/rng.h common/timeparse.h common/xalloc.h \
  common/banned.h

common/cfcheck.h:

common/als.h:

common/interactions.h:

common/intern.h:

common/audience.h:

common/groups.h:

common/json.h:

common/parallel.h:

common/radix.h:

common/ranking.h:

common/rng.h:

common/timeparse.h:

common/xalloc.h:

common/banned.h:
