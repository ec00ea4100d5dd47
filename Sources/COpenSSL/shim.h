#pragma once
// libcrypto entry points used by RelayCrypto: HMAC-SHA256, CSPRNG, constant-time
// compare, and RSA keys through the OpenSSL 3 EVP/OSSL_PARAM APIs (RS256 JWS).
#include <openssl/hmac.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/err.h>

// EVP_PKEY_PUBLIC_KEY is an OR of two macros, which Swift does not import.
static const int copenssl_EVP_PKEY_PUBLIC_KEY = EVP_PKEY_PUBLIC_KEY;

// Names as C strings with static storage: OSSL_PARAM_BLD_push_BN keeps the
// key pointer until OSSL_PARAM_BLD_to_param, so a Swift String bridged for
// the duration of one call would dangle.
static const char *const copenssl_RSA = "RSA";
static const char *const copenssl_PKEY_PARAM_RSA_N = OSSL_PKEY_PARAM_RSA_N;
static const char *const copenssl_PKEY_PARAM_RSA_E = OSSL_PKEY_PARAM_RSA_E;
