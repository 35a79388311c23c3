build-fuzz/tests/fuzz/fuzz_csv.o: tests/fuzz/fuzz_csv.c common/csvin.h \
  common/intern.h common/timeparse.h

common/csvin.h:

common/intern.h:

common/timeparse.h:
