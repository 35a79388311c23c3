build-fuzz/tests/fuzz/fuzz_stream.o: tests/fuzz/fuzz_stream.c \
  common/model.h common/intern.h common/stream.h

common/model.h:

common/intern.h:

common/stream.h:
