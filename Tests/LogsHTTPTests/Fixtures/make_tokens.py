#!/usr/bin/env python3
"""Writes the JSON Web Tokens that LogsHTTPTests verify, made with PyJWT.

Run it from anywhere: python3 make_tokens.py (needs `pip install pyjwt cryptography`). It
generates a fresh RSA key pair, writes the public key to jwt_public_key.pem and the tokens to
tokens.json, and keeps no private key, so the committed tokens are the only ones that key signs.
Tokens that must stay valid expire on 2100-01-01.
"""
import base64
import hashlib
import hmac
import json
import pathlib

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

FAR_FUTURE = 4102444800  # 2100-01-01 00:00:00 UTC
PAST = 1000000000  # 2001-09-09


def base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs512_with_public_pem(payload: dict, public_pem: bytes) -> str:
    """The algorithm-confusion token: HMAC-SHA512 keyed with the public key's PEM. PyJWT refuses
    to make it, so it is built by hand."""
    header = base64url(json.dumps({"alg": "HS512", "typ": "JWT"}).encode())
    body = base64url(json.dumps(payload).encode())
    signing_input = f"{header}.{body}".encode()
    signature = hmac.new(public_pem, signing_input, hashlib.sha512).digest()
    return f"{header}.{body}.{base64url(signature)}"


def unsigned(payload: dict) -> str:
    """A token with `alg: none` and an empty signature."""
    header = base64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{base64url(json.dumps(payload).encode())}."


def main() -> None:
    directory = pathlib.Path(__file__).resolve().parent
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def rs512(payload: dict, signing_key=key) -> str:
        return jwt.encode(payload, signing_key, algorithm="RS512")

    tokens = {
        "valid_job_42": rs512({"sub": "42", "exp": FAR_FUTURE}),
        "valid_job_42_without_exp": rs512({"sub": "42"}),
        "expired_job_42": rs512({"sub": "42", "exp": PAST}),
        "not_yet_valid_job_42": rs512({"sub": "42", "nbf": FAR_FUTURE}),
        "wrong_sub_job_43": rs512({"sub": "43", "exp": FAR_FUTURE}),
        "other_key_job_42": rs512({"sub": "42", "exp": FAR_FUTURE}, other_key),
        "rs256_job_42": jwt.encode({"sub": "42", "exp": FAR_FUTURE}, key, algorithm="RS256"),
        "alg_none_job_42": unsigned({"sub": "42", "exp": FAR_FUTURE}),
        "hs512_public_key_job_42": hs512_with_public_pem({"sub": "42", "exp": FAR_FUTURE}, public_pem),
        "valid_job_1": rs512({"sub": "1", "exp": FAR_FUTURE}),
        "valid_job_2": rs512({"sub": "2", "exp": FAR_FUTURE}),
        "valid_job_5": rs512({"sub": "5", "exp": FAR_FUTURE}),
    }
    (directory / "jwt_public_key.pem").write_bytes(public_pem)
    (directory / "tokens.json").write_text(json.dumps(tokens, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
