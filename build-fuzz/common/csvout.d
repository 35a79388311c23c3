build-fuzz/common/csvout.o: common/csvout.c common/csvout.h \
  common/banned.h

common/csvout.h:

common/banned.h:
