build-fuzz/common/timeparse.o: common/timeparse.c common/timeparse.h \
  common/banned.h

common/timeparse.h:

common/banned.h:
