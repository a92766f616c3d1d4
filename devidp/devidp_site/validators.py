from django.conf import settings
from jwcrypto import jwk, jws, jwt
from oauth2_provider.oauth2_validators import OAuth2Validator

TAMPERED_ISSUER = "http://evil.invalid/o"
TAMPERED_AUDIENCE = "some-other-client"


class DevIdpValidator(OAuth2Validator):
    """Identifies users by their Basispoort id, as Basispoort itself does.

    DOT puts these claims both in the ID token and in the userinfo response.
    """

    def get_additional_claims(self, request):
        user = request.user
        # The username is the Basispoort id; the Django pk would differ per IdP database.
        claims = {"sub": user.username, "preferred_username": user.username}
        known = {
            "name": user.get_full_name(),
            "given_name": user.first_name,
            "family_name": user.last_name,
            "email": user.email,
        }
        claims.update({name: value for name, value in known.items() if value})
        return claims

    def get_discovery_claims(self, request):
        # DOT can only list claims itself when get_additional_claims ignores the request.
        return [
            "sub",
            "preferred_username",
            "name",
            "given_name",
            "family_name",
            "email",
        ]

    def get_id_token_dictionary(self, token, token_handler, request):
        claims, expiration_time = super().get_id_token_dictionary(token, token_handler, request)
        if settings.DEVIDP_TAMPER == "iss":
            claims["iss"] = TAMPERED_ISSUER
        elif settings.DEVIDP_TAMPER == "aud":
            claims["aud"] = TAMPERED_AUDIENCE
        return claims, expiration_time

    def finalize_id_token(self, id_token, token, token_handler, request):
        signed = super().finalize_id_token(id_token, token, token_handler, request)
        if settings.DEVIDP_TAMPER != "key":
            return signed
        # Same header (so the published kid) and claims, but signed by a key nobody
        # published: only a client that really checks the signature notices.
        genuine = jws.JWS()
        genuine.deserialize(signed)
        forged = jwt.JWT(header=genuine.jose_header, claims=genuine.objects["payload"].decode())
        forged.make_signed_token(jwk.JWK.generate(kty="RSA", size=2048))
        return forged.serialize()
