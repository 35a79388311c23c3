build-fuzz/common/progress.o: common/progress.c common/progress.h \
  common/banned.h

common/progress.h:

common/banned.h:
