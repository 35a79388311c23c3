build-fuzz/common/audience.o: common/audience.c common/audience.h \
  common/groups.h common/interactions.h common/intern.h common/banned.h

common/audience.h:

common/groups.h:

common/interactions.h:

common/intern.h:

common/banned.h:
