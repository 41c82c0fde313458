#ifndef TRAVIS_LOGS_CCRYPTO_SHIM_H
#define TRAVIS_LOGS_CCRYPTO_SHIM_H

// libcrypto from OpenSSL 3: digests and HMAC for S3 and Pusher signatures, and EVP public-key
// verification for RS512 JSON Web Tokens.
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/opensslv.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#endif
