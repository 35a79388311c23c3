build-fuzz/common/explore.o: common/explore.c common/explore.h \
  common/interactions.h common/intern.h common/json.h common/timeparse.h \
  common/xalloc.h common/banned.h

common/explore.h:

common/interactions.h:

common/intern.h:

common/json.h:

common/timeparse.h:

common/xalloc.h:

common/banned.h:
