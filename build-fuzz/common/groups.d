build-fuzz/common/groups.o: common/groups.c common/groups.h \
  common/interactions.h common/intern.h common/radix.h common/xalloc.h \
  common/banned.h

common/groups.h:

common/interactions.h:

common/intern.h:

common/radix.h:

common/xalloc.h:

common/banned.h:
