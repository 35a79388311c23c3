build-fuzz/common/rng.o: common/rng.c common/rng.h common/banned.h

common/rng.h:

common/banned.h:
