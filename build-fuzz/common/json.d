build-fuzz/common/json.o: common/json.c common/json.h common/xalloc.h \
  common/banned.h

common/json.h:

common/xalloc.h:

common/banned.h:
