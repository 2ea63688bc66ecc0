"""kamailio.cfg for Debian's Kamailio 5.6 as the registrar of the 050 numbers.

REGISTER only: no credentials or a stale nonce get a 401 challenge; a right password is saved in
memory (usrloc db_mode 0) and answered 200; a wrong password, an unknown or cancelled number, a
username that is not the registered number, or a foreign domain get 403. The digests come from
the ``registrar_subscriber`` view through a read-only role; no password is ever in the database.

Against abuse: each nonce's count (RFC 2617 ``nc``) is tracked, so a captured REGISTER cannot be
replayed (a phone without ``qop`` gets one-time nonces); REGISTERs are handled statefully so a
retransmission is answered again instead of being taken for a replay; replies that reach the
registrar are dropped, never forwarded to the address in their Via; no GRUUs are handed out; a 405
lists the accepted methods (``Allow``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from selfcare.registrar.schema import SUBSCRIBER_TABLE_VERSION, SUBSCRIBER_VIEW, VERSION_VIEW

# The methods the registrar answers (OPTIONS for monitoring); every other one gets 405 with this list.
ALLOWED_METHODS = ("REGISTER", "OPTIONS")

LISTEN = re.compile(r"(?:udp|tcp):[0-9A-Za-z.\-\[\]:]+:\d{1,5}")
ABSOLUTE_PATH = re.compile(r"/[A-Za-z0-9_./-]*")
TCP_CTL = re.compile(r"tcp:[A-Za-z0-9.-]+:\d{1,5}")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,31}")


class BadRegistrarOption(ValueError):
    pass


@dataclass(frozen=True)
class RegistrarOptions:
    listen: list[str]
    db_url: str
    ctl_socket: str = "/run/kamailio/kamailio_ctl"
    ctl_group: str = ""
    children: int = 4
    max_expires: int = 3600
    log_stderr: bool = False

    @property
    def ctl_address(self) -> str:
        """The binrpc address: a unix socket, or TCP for app servers on other hosts (a private network only)."""
        return self.ctl_socket if self.ctl_socket.startswith("tcp:") else f"unixs:{self.ctl_socket}"

    def validated(self) -> RegistrarOptions:
        if not self.listen:
            raise BadRegistrarOption("Give at least one listen address, e.g. udp:192.0.2.10:5060.")
        for address in self.listen:
            if not LISTEN.fullmatch(address):
                raise BadRegistrarOption(f"{address!r} is not a listen address such as udp:192.0.2.10:5060.")
        kamailio_db_url(self.db_url)
        if not (ABSOLUTE_PATH.fullmatch(self.ctl_socket) or TCP_CTL.fullmatch(self.ctl_socket)):
            raise BadRegistrarOption(
                f"{self.ctl_socket!r} is neither an absolute path (letters, digits, _ . - / only) nor tcp:ADDRESS:PORT."
            )
        if self.ctl_group and not NAME.fullmatch(self.ctl_group):
            raise BadRegistrarOption(f"{self.ctl_group!r} is not a group name.")
        if not 1 <= self.children <= 64:
            raise BadRegistrarOption("children must be 1 to 64.")
        if not 60 <= self.max_expires <= 86400:
            raise BadRegistrarOption("max_expires must be 60 to 86400 seconds.")
        return self


def kamailio_db_url(url: str) -> str:
    """``postgres://user:password@host:port/database`` as Kamailio's db_postgres wants it."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"} or not parts.hostname or not parts.path.strip("/"):
        raise BadRegistrarOption("The registrar's database URL must look like postgres://user:password@host:5432/db.")
    if not parts.username:
        raise BadRegistrarOption("The registrar's database URL needs the registrar's login role as its user.")
    if any(ch in url for ch in '"\\\n\r ') or parts.query or parts.fragment:
        raise BadRegistrarOption("The registrar's database URL may not contain quotes, backslashes or spaces.")
    return "postgres://" + url.split("://", 1)[1]


def render_kamailio_cfg(options: RegistrarOptions) -> str:
    options = options.validated()
    realm = settings.SELFCARE_SIP_REALM
    domain = settings.SELFCARE_SIP_DOMAIN
    listen = "\n".join(f"listen={address}" for address in options.listen)
    ctl_group = f'modparam("ctl", "group", "{options.ctl_group}")\n' if options.ctl_group else ""
    allow = ", ".join(ALLOWED_METHODS)
    return f"""#!KAMAILIO
#
# The registrar of the 050 numbers (Kamailio 5.6), written by `manage.py registrar_config`.
# Change the settings and write it again rather than editing it: realm {realm!r} must be the
# realm the portal computed the stored digests with. Holds the registrar's database password:
# keep it readable by root and the kamailio group only.

####### Global parameters #########
debug=2
log_stderror={"yes" if options.log_stderr else "no"}
log_facility=LOG_LOCAL0
log_prefix="{{$mt $hdr(CSeq) $ci}} "
children={options.children}
auto_aliases=no
{listen}
# auth_db checks the subscriber table's version here ('subscriber', {SUBSCRIBER_TABLE_VERSION}).
version_table="{VERSION_VIEW}"
server_header="Server: selfcare-registrar"
sip_warning=0

####### Modules #########
loadmodule "kex.so"
loadmodule "corex.so"
loadmodule "sl.so"
loadmodule "tm.so"
loadmodule "textops.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "sanity.so"
loadmodule "xlog.so"
loadmodule "ctl.so"
loadmodule "db_postgres.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
loadmodule "auth_db.so"

# kamcmd (ul.rm when a cancellation takes effect or a password is reissued) talks to this socket.
modparam("ctl", "binrpc", "{options.ctl_address}")
modparam("ctl", "mode", 0660)
{ctl_group}
# Registrations live in memory only.
modparam("usrloc", "db_mode", 0)
modparam("usrloc", "use_domain", 0)
modparam("registrar", "max_expires", {options.max_expires})
modparam("registrar", "default_expires", {min(3600, options.max_expires)})
modparam("registrar", "min_expires", 60)
# Nothing here resolves a GRUU (there is no proxy): do not hand any out.
modparam("registrar", "gruu_enabled", 0)

# Digests only (ha1 for "05012345678", ha1b for "05012345678@{domain}"); the view has no passwords.
# The lookup is by username alone: auth_db would compare the domain column with the realm, and this
# registrar serves one domain, checked in request_route below.
modparam("auth_db", "db_url", "{kamailio_db_url(options.db_url)}")
modparam("auth_db", "calculate_ha1", 0)
modparam("auth_db", "password_column", "ha1")
modparam("auth_db", "password_column_2", "ha1b")
modparam("auth_db", "use_domain", 0)
modparam("auth_db", "load_credentials", "")
modparam("auth", "nonce_expire", 300)
# Replay protection. The challenge asks for qop=auth: a phone then numbers each use of a nonce (nc), the
# count must rise, so a captured REGISTER sent again (from anywhere, with any Contact) is challenged
# afresh (stale) and registers nothing. A phone that answers without qop, hence without nc, gets
# one-time nonces instead. Both need the REGISTER transaction (t_newtran below) so that a retransmission
# is answered with the reply already sent rather than taken for a replay. State is kept for the last
# 2^20 nonces, in one pool (1 MB, and 128 kB for the one-time flags, of shared memory); older nonces are
# stale and re-challenged.
modparam("auth", "nonce_count", 1)
modparam("auth", "one_time_nonce", 1)
modparam("auth", "nid_pool_no", 1)
modparam("auth", "nc_array_size", 1048576)
modparam("auth", "otn_in_flight_no", 1048576)

####### Routing #########
request_route {{
	if (!mf_process_maxfwd_header("10")) {{
		sl_send_reply("483", "Too Many Hops");
		exit;
	}}
	if (!sanity_check("17895", "7")) {{
		xlog("L_WARN", "malformed SIP from $si:$sp\\n");
		exit;
	}}
	if ($rm == "ACK") {{
		exit;
	}}
	if ($rm == "OPTIONS") {{
		# Monitoring (and the tests) see that the registrar answers.
		append_to_reply("Allow: {allow}\\r\\n");
		sl_send_reply("200", "OK");
		exit;
	}}
	if ($rm != "REGISTER") {{
		append_to_reply("Allow: {allow}\\r\\n");
		sl_send_reply("405", "Method Not Allowed");
		exit;
	}}
	# Statefully from here: a retransmitted REGISTER gets the reply already sent (t_newtran ends the
	# script for it), never a second authentication with the same nonce count.
	if (!t_newtran()) {{
		sl_reply_error();
		exit;
	}}
	if ($td != "{domain}") {{
		xlog("L_NOTICE", "REGISTER for foreign domain $td from $si:$sp\\n");
		send_reply("403", "Forbidden");
		exit;
	}}
	if (!auth_check("{realm}", "{SUBSCRIBER_VIEW}", "1")) {{
		switch ($rc) {{
			case -5:
				# no credentials yet: challenge (in the transaction, like every reply from here)
				auth_challenge("{realm}", "1");
				exit;
			case -4:
			case -6:
				# the nonce expired or its count did not rise (a replay), or a one-time nonce came back:
				# a fresh challenge marked stale=true, which a phone answers without asking its user
				auth_challenge("{realm}", "17");
				exit;
			case -1:
				xlog("L_ERR", "REGISTER for $tU from $si:$sp: authentication error (database?)\\n");
				send_reply("500", "Server Internal Error");
				exit;
			default:
				# -2 wrong password, -3 unknown or cancelled number, -8 username is not the number
				xlog("L_NOTICE", "REGISTER for $tU from $si:$sp refused ($rc)\\n");
				send_reply("403", "Forbidden");
				exit;
		}}
	}}
	# Answers itself, in the transaction: 200 with the contacts, or the error.
	save("location");
	exit;
}}

# The registrar sends no requests, so no reply that reaches it belongs to anything it did. Drop them all:
# forwarded statelessly to the address in their second Via, a forged reply would make the registrar send
# traffic to a third party.
reply_route {{
	drop;
}}
"""
