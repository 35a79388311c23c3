build-fuzz/common/cli.o: common/cli.c common/cli.h common/banned.h

common/cli.h:

common/banned.h:
