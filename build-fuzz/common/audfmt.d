build-fuzz/common/audfmt.o: common/audfmt.c common/audfmt.h \
  common/model.h common/intern.h common/csvout.h common/json.h \
  common/stream.h common/xalloc.h common/banned.h

common/audfmt.h:

common/model.h:

common/intern.h:

common/csvout.h:

common/json.h:

common/stream.h:

common/xalloc.h:

common/banned.h:
