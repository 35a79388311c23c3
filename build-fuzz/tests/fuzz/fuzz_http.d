build-fuzz/tests/fuzz/fuzz_http.o: tests/fuzz/fuzz_http.c common/http.h

common/http.h:
