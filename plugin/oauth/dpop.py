"""DPoP (RFC 9449) on the provider's registry, registered by `register(server)`: the token endpoint checks a
request's proof before a grant issues and binds what it issues to the proof's key (the pushed authorization request
endpoint likewise binds a pushed request's code); the metadata advertises the algorithms; the bearer validation
(endpoints/bearer.py) and UserInfo check the proof of every request with a bound token. The proof rules themselves
are plugin/oauth/rfc9449.py."""
from __future__ import annotations

import hmac

from .rfc9449 import ALGORITHMS, DPoPErrorCode, DPoPError, ProofChecker
from .server import BEFORE_ISSUE, BEFORE_PUSH


class DPoP:
    def __init__(self, services) -> None:
        self.services = services
        self.proofs = ProofChecker(services)

    def before_issue(self, grant, app, request) -> None:
        """Section 5: a token request's proof, checked; what the grant issues is bound to its key
        (`request.dpop_jkt`). An app that requires DPoP gets nothing without one."""
        proof = self.proofs.check(request.target)
        if proof is None:
            if app.require_dpop:
                raise DPoPError(DPoPErrorCode.INVALID_DPOP_PROOF, "This app must send a DPoP proof.")
            return
        request.dpop_jkt = proof.jkt

    def before_push(self, app, request, target) -> None:
        """Section 10.1: a pushed authorization request's proof binds its code to the proof's key, as `dpop_jkt`
        does; with both, they must name the same key."""
        proof = self.proofs.check(target)
        if proof is None:
            return
        if request.dpop_jkt and not hmac.compare_digest(request.dpop_jkt, proof.jkt):
            raise DPoPError(DPoPErrorCode.INVALID_DPOP_PROOF, "The DPoP proof is not of the key dpop_jkt names.")
        request.dpop_jkt = proof.jkt

    @staticmethod
    def metadata(settings) -> dict:
        """Section 5.1: the algorithms a proof may be signed with."""
        return {"dpop_signing_alg_values_supported": list(ALGORITHMS)}


def register(server) -> DPoP:
    dpop = DPoP(server.services)
    server.dpop = dpop
    server.register_hook(BEFORE_ISSUE, dpop.before_issue)
    server.register_hook(BEFORE_PUSH, dpop.before_push)
    server.register_metadata(dpop.metadata)
    return dpop
