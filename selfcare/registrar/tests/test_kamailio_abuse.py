"""What the registrar must not be usable for, checked at a real Kamailio with sipp and plain UDP sockets.

A phone's REGISTER crosses networks in clear: whoever captures it must not be able to replay it to
register an address of their own. The registrar forwards nothing, so a reply that reaches it must not be
sent on to a third party. And it answers only what it implements: no GRUUs that nothing resolves, and
the methods it accepts listed in every 405.

Each test first sees the registrar answer (a 200 registration, an OPTIONS answered), so a registrar that
is down or did not start fails the test rather than passing it for silence.
"""

from __future__ import annotations

import re
import secrets
import uuid

import pytest

from selfcare.registrar import control
from selfcare.registrar.tests.kamailio import (
    Registrar,
    Sipp,
    UdpPeer,
    digest_authorization,
    digest_params,
    header,
    status,
    with_headers,
)
from selfcare.testing import issue_with_passwords

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ACCEPTED_METHODS = {"REGISTER", "OPTIONS"}


def authorized_register(phone: Sipp) -> str:
    """The REGISTER with credentials that sipp sent (the one a listener on the network would capture)."""
    [_first, authorized] = [message for message in phone.sent() if message.startswith("REGISTER ")]
    assert header(authorized, "Authorization"), authorized
    return authorized


def challenge_of(reply: str | None) -> dict[str, str]:
    assert status(reply) == 401, reply
    assert reply is not None
    [value] = header(reply, "WWW-Authenticate")
    return digest_params(value)


def branch() -> str:
    return f"z9hG4bK{secrets.token_hex(8)}"


def options_request(peer: UdpPeer, domain: str) -> str:
    return (
        f"OPTIONS sip:{domain} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {peer.host}:{peer.port};branch={branch()}\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:monitor@{peer.host}>;tag={secrets.token_hex(4)}\r\n"
        f"To: <sip:{domain}>\r\n"
        f"Call-ID: {uuid.uuid4().hex}\r\n"
        "CSeq: 1 OPTIONS\r\n"
        "Content-Length: 0\r\n\r\n"
    )


def register_request(
    phone: UdpPeer, *, number: str, domain: str, call_id: str, cseq: int, authorization: str | None = None
) -> str:
    """A REGISTER as a phone at ``phone``'s address sends it, with a branch of its own."""
    lines = [
        f"REGISTER sip:{domain} SIP/2.0",
        f"Via: SIP/2.0/UDP {phone.host}:{phone.port};rport;branch={branch()}",
        "Max-Forwards: 70",
        f"From: <sip:{number}@{domain}>;tag={call_id[:8]}",
        f"To: <sip:{number}@{domain}>",
        f"Call-ID: {call_id}",
        f"CSeq: {cseq} REGISTER",
        f"Contact: <sip:{number}@{phone.host}:{phone.port}>",
        "Expires: 600",
        *([f"Authorization: {authorization}"] if authorization else []),
        "Content-Length: 0",
    ]
    return "\r\n".join(lines) + "\r\n\r\n"


@pytest.mark.parametrize("attacker_host", ["127.0.0.2", "127.0.0.1"], ids=["another address", "another port"])
def test_a_captured_register_replayed_elsewhere_is_challenged_and_registers_nothing(
    registrar: Registrar, customer, pool, actor, attacker_host
):
    [(number, password)] = issue_with_passwords(customer, actor)
    phone = registrar.register(number=number, password=password, expect=200)
    captured = authorized_register(phone)
    captured_nonce = digest_params(header(captured, "Authorization")[0])["nonce"]
    [phone_contact] = control.registrations_of(number=number)

    with UdpPeer(attacker_host) as attacker:
        # The digest covers neither the Via, the CSeq nor the Contact: the attacker puts in their own.
        replay = with_headers(
            captured,
            Via=f"SIP/2.0/UDP {attacker.host}:{attacker.port};rport;branch={branch()}",
            CSeq="3 REGISTER",
            Contact=f"<sip:{number}@{attacker.host}:{attacker.port}>",
        )
        reply = attacker.response_to(replay, registrar.address)

    assert reply is not None, f"no answer to the replay\n--- kamailio ---\n{registrar.log_tail()}"
    assert status(reply) != 200, reply
    # A fresh challenge: the captured nonce is spent.
    assert challenge_of(reply)["nonce"] != captured_nonce
    assert control.registrations_of(number=number) == [phone_contact]


def test_a_phone_re_uses_its_nonce_with_a_rising_count_and_answers_a_stale_challenge(
    registrar: Registrar, customer, pool, actor, settings
):
    """What phones do between challenges: RFC 2617 nonce counts, and a new challenge once the count repeats."""
    [(number, password)] = issue_with_passwords(customer, actor)
    first = registrar.register(number=number, password=password, expect=200)  # nc 1 of the nonce
    nonce = challenge_of(first.received()[0])["nonce"]
    captured = authorized_register(first)
    [phone_contact] = control.registrations_of(number=number)
    uri = f"sip:{settings.SELFCARE_SIP_DOMAIN}"

    with UdpPeer() as phone:

        def refresh(cseq: int, nonce: str, nc: int) -> str | None:
            authorization = digest_authorization(
                username=number,
                password=password,
                realm=settings.SELFCARE_SIP_REALM,
                nonce=nonce,
                uri=uri,
                nc=nc,
                cnonce=secrets.token_hex(4),
            )
            message = with_headers(
                captured,
                Via=f"SIP/2.0/UDP {phone.host}:{phone.port};rport;branch={branch()}",
                CSeq=f"{cseq} REGISTER",
                Authorization=authorization,
            )
            return phone.response_to(message, registrar.address)

        assert status(refresh(3, nonce, 2)) == 200
        assert status(refresh(4, nonce, 3)) == 200
        # The same count again is a replay: challenged afresh, marked stale so a phone answers without asking
        # its user.
        again = challenge_of(refresh(5, nonce, 3))
        assert again["stale"] == "true"
        assert again["nonce"] != nonce
        assert status(refresh(6, again["nonce"], 1)) == 200

    assert control.registrations_of(number=number) == [phone_contact]


def test_a_retransmitted_register_is_answered_again_not_taken_for_a_replay(
    registrar: Registrar, customer, pool, actor, settings
):
    """Over UDP a phone sends its REGISTER again when the answer is late or lost (RFC 3261 17.1.2.2)."""
    [(number, password)] = issue_with_passwords(customer, actor)
    domain = settings.SELFCARE_SIP_DOMAIN
    call_id = uuid.uuid4().hex
    with UdpPeer() as phone:
        first = register_request(phone, number=number, domain=domain, call_id=call_id, cseq=1)
        nonce = challenge_of(phone.response_to(first, registrar.address))["nonce"]
        authorization = digest_authorization(
            username=number,
            password=password,
            realm=settings.SELFCARE_SIP_REALM,
            nonce=nonce,
            uri=f"sip:{domain}",
            nc=1,
            cnonce=secrets.token_hex(4),
        )
        authorized = register_request(
            phone, number=number, domain=domain, call_id=call_id, cseq=2, authorization=authorization
        )

        assert status(phone.response_to(authorized, registrar.address)) == 200
        # The same bytes from the same address: the same transaction, answered again with its 200.
        assert status(phone.response_to(authorized, registrar.address)) == 200

    assert control.registrations_of(number=number) == [f"sip:{number}@{phone.host}:{phone.port}"]


def test_a_phone_without_qop_may_use_each_nonce_once(registrar: Registrar, customer, pool, actor, settings):
    """A phone that ignores qop sends no nonce count: its nonces are good for one REGISTER."""
    [(number, password)] = issue_with_passwords(customer, actor)
    domain = settings.SELFCARE_SIP_DOMAIN
    call_id = uuid.uuid4().hex
    with UdpPeer() as phone:

        def register(cseq: int, nonce: str | None = None) -> str | None:
            authorization = None
            if nonce is not None:
                authorization = digest_authorization(
                    username=number,
                    password=password,
                    realm=settings.SELFCARE_SIP_REALM,
                    nonce=nonce,
                    uri=f"sip:{domain}",
                    qop=False,
                )
            message = register_request(
                phone, number=number, domain=domain, call_id=call_id, cseq=cseq, authorization=authorization
            )
            return phone.response_to(message, registrar.address)

        nonce = challenge_of(register(1))["nonce"]
        assert status(register(2, nonce)) == 200
        again = challenge_of(register(3, nonce))
        assert again["stale"] == "true"
        assert again["nonce"] != nonce
        assert status(register(4, again["nonce"])) == 200


def test_a_stray_reply_is_not_forwarded_to_the_address_in_its_via(registrar: Registrar, settings):
    domain = settings.SELFCARE_SIP_DOMAIN
    with UdpPeer() as victim, UdpPeer() as attacker:
        # The victim's socket hears the registrar: silence below is the registrar's doing.
        assert status(victim.response_to(options_request(victim, domain), registrar.address)) == 200
        forged = (
            "SIP/2.0 200 OK\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{registrar.port};branch={branch()}\r\n"
            f"Via: SIP/2.0/UDP {victim.host}:{victim.port};branch={branch()}\r\n"
            f"From: <sip:05000000000@{domain}>;tag={secrets.token_hex(4)}\r\n"
            f"To: <sip:05000000000@{domain}>;tag={secrets.token_hex(4)}\r\n"
            f"Call-ID: {uuid.uuid4().hex}\r\n"
            "CSeq: 1 REGISTER\r\n"
            "Content-Length: 0\r\n\r\n"
        )
        attacker.send(forged, registrar.address)

        reflected = victim.receive(2.0)

        assert reflected is None, f"the registrar forwarded a stray reply:\n{reflected}"
        assert registrar.alive()
        assert status(victim.response_to(options_request(victim, domain), registrar.address)) == 200


def test_a_phone_that_asks_for_a_gruu_gets_none(registrar: Registrar, customer, pool, actor):
    [(number, password)] = issue_with_passwords(customer, actor)

    result = registrar.register(
        number=number,
        password=password,
        expect=200,
        contact_params=f';+sip.instance="<urn:uuid:{uuid.uuid4()}>"',
        extra_headers=("Supported: gruu, path",),
    )

    ok = result.received()[-1]
    assert status(ok) == 200
    assert not re.search(r"(pub|temp)-gruu", ok, re.IGNORECASE), ok
    [contact] = control.registrations_of(number=number)
    assert "gruu" not in contact.lower()


def test_other_methods_get_405_listing_the_methods_that_are_accepted(registrar: Registrar):
    for method in ("INVITE", "MESSAGE", "SUBSCRIBE"):
        [refused] = registrar.request(method, expect=405).received()
        [allow] = header(refused, "Allow")
        assert {name.strip() for name in allow.split(",")} == ACCEPTED_METHODS, refused

    # What Allow lists is what is answered: OPTIONS (listing them too), REGISTER (challenged).
    [answered] = registrar.request("OPTIONS", expect=200).received()
    assert {name.strip() for name in header(answered, "Allow")[0].split(",")} == ACCEPTED_METHODS
    registrar.request("REGISTER", expect=401)
