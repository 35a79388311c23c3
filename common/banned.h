/*
 * Functions that are too easy to misuse, after git's banned.h: including this
 * header last turns any use of them into a compile error.
 */
#ifndef AUD_BANNED_H
#define AUD_BANNED_H

#define BANNED(func) sorry_##func##_is_banned_in_aud

#undef strcpy
#define strcpy(a, b) BANNED(strcpy)
#undef strcat
#define strcat(a, b) BANNED(strcat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(a, b) BANNED(strtok)
#undef atoi
#define atoi(a) BANNED(atoi)
#undef atol
#define atol(a) BANNED(atol)
#undef gets
#define gets(a) BANNED(gets)

#endif
