"""Mail domains anyone can get an address at: never an organization's domain (docs/domain-verification.md).

An organization claiming ``gmail.com`` would route every Gmail user's sign-in to its IdP and
could link their accounts; nobody can prove such a domain (nobody but the provider publishes its
DNS), but a refusal up front says why in the customer's terms instead of a DNS failure.

Maintained by hand: the large free providers, their country variants where they are common, and
the big ISP mailboxes. A domain below one of these (``mail.gmail.com``) is refused too. Projects
add their own with ``TENANT_SSO_EXTRA_CONSUMER_DOMAINS``. No Django imports.
"""

from __future__ import annotations

from collections.abc import Iterable


def _variants(name: str, suffixes: Iterable[str]) -> set[str]:
    return {f"{name}.{suffix}" for suffix in suffixes}


_YAHOO_COUNTRIES = (
    "com", "co.uk", "co.in", "co.jp", "co.id", "co.nz", "co.za", "com.au", "com.ar", "com.br",
    "com.mx", "com.sg", "com.tw", "com.hk", "com.ph", "com.vn", "ca", "de", "fr", "it", "es",
    "ie", "in", "gr", "se", "dk", "no", "fi", "pl", "ro", "at", "be", "nl", "ch",
)  # fmt: skip
_HOTMAIL_COUNTRIES = (
    "com", "co.uk", "co.jp", "co.th", "com.ar", "com.au", "com.br", "com.mx", "com.tr", "ca",
    "de", "fr", "it", "es", "be", "nl", "se", "dk", "no", "fi", "gr", "ch", "at", "cl",
)  # fmt: skip
_LIVE_COUNTRIES = (
    "com", "co.uk", "co.za", "com.au", "com.ar", "com.mx", "ca", "de", "fr", "it", "nl", "be",
    "se", "dk", "no", "fi", "at", "ch", "ie", "jp", "cn", "in", "ru",
)  # fmt: skip
_OUTLOOK_COUNTRIES = (
    "com", "co.uk", "co.jp", "co.th", "com.au", "com.br", "com.ar", "com.tr", "de", "fr", "it",
    "es", "be", "nl", "ie", "in", "jp", "kr", "sa", "sk", "cz", "dk", "at", "cl", "ph", "pt",
)  # fmt: skip

# fmt: off
CONSUMER_DOMAINS: frozenset[str] = frozenset(
    {
        # Google
        "gmail.com", "googlemail.com",
        # Microsoft
        "msn.com", "passport.com", "windowslive.com",
        # Yahoo / AOL
        "ymail.com", "rocketmail.com", "aol.com", "aim.com", "aol.co.uk", "aol.de", "aol.fr",
        # Apple
        "icloud.com", "me.com", "mac.com",
        # Proton, Tuta, Fastmail, HEY, Zoho's personal addresses
        "proton.me", "protonmail.com", "protonmail.ch", "pm.me",
        "tutanota.com", "tutanota.de", "tutamail.com", "tuta.io", "tuta.com", "keemail.me",
        "fastmail.com", "fastmail.fm", "hey.com", "zoho.com", "zohomail.com",
        # GMX / WEB.DE / mail.com (United Internet), other European providers
        "gmx.com", "gmx.de", "gmx.net", "gmx.at", "gmx.ch", "gmx.fr", "gmx.co.uk", "web.de",
        "mail.com", "email.com", "t-online.de", "freenet.de", "posteo.de", "posteo.net",
        "mailbox.org", "orange.fr", "wanadoo.fr", "free.fr", "sfr.fr", "laposte.net",
        "libero.it", "virgilio.it", "tiscali.it", "alice.it", "seznam.cz", "centrum.cz",
        "wp.pl", "o2.pl", "interia.pl", "onet.pl", "btinternet.com", "sky.com",
        "virginmedia.com", "ntlworld.com", "talktalk.net", "bluewin.ch", "telenet.be",
        "skynet.be", "ziggo.nl", "kpnmail.nl", "home.nl", "planet.nl", "online.no",
        # Russia, Asia, Latin America
        "yandex.ru", "yandex.com", "ya.ru", "mail.ru", "bk.ru", "inbox.ru", "list.ru",
        "rambler.ru", "qq.com", "163.com", "126.com", "yeah.net", "sina.com", "sohu.com",
        "aliyun.com", "naver.com", "daum.net", "hanmail.net", "nate.com", "rediffmail.com",
        "bol.com.br", "uol.com.br", "terra.com.br", "ig.com.br",
        # North American ISPs
        "comcast.net", "verizon.net", "att.net", "sbcglobal.net", "bellsouth.net", "cox.net",
        "charter.net", "earthlink.net", "optonline.net", "rogers.com", "shaw.ca", "sympatico.ca",
        "telus.net", "bigpond.com", "optusnet.com.au",
        # Throwaway mailboxes
        "mailinator.com", "guerrillamail.com", "10minutemail.com", "temp-mail.org",
    }
    | _variants("yahoo", _YAHOO_COUNTRIES)
    | _variants("hotmail", _HOTMAIL_COUNTRIES)
    | _variants("live", _LIVE_COUNTRIES)
    | _variants("outlook", _OUTLOOK_COUNTRIES)
)
# fmt: on


def is_consumer_domain(domain: str, extra: Iterable[str] = ()) -> bool:
    """Whether ``domain`` (canonical form) is, or is below, a consumer mail domain."""
    listed = CONSUMER_DOMAINS.union(extra)
    labels = domain.split(".")
    return any(".".join(labels[i:]) in listed for i in range(len(labels) - 1))
