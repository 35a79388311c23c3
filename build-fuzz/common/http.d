build-fuzz/common/http.o: common/http.c common/http.h common/banned.h

common/http.h:

common/banned.h:
