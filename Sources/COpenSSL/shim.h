#pragma once
// libcrypto entry points used by RelayCrypto: HMAC-SHA256, CSPRNG, constant-time compare.
#include <openssl/hmac.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
