from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from byod.errors import HostNotFound, InputError, UnsafeDestination
from byod.guard import guard_destination
from byod.inputs import DeploymentUrl, parse_deploy_key, parse_url
from tests.fixtures.canary import assert_no_canary, cloud_key

CLOUD = "https://happy-otter-123.convex.cloud"
KEY = cloud_key("happy-otter-123")


@pytest.fixture(autouse=True)
def _no_allow_list(settings) -> None:
    settings.BYOD_ALLOWED_HOSTS = []


# --- URLs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "url", "name"),
    [
        (CLOUD, CLOUD, "happy-otter-123"),
        (CLOUD + "/", CLOUD, "happy-otter-123"),
        ("  " + CLOUD + "\n", CLOUD, "happy-otter-123"),
        ("HTTPS://Happy-Otter-123.Convex.Cloud", CLOUD, "happy-otter-123"),
        (CLOUD + ":443", CLOUD, "happy-otter-123"),
        (
            "https://calm-fox-7.eu-west-1.convex.cloud",
            "https://calm-fox-7.eu-west-1.convex.cloud",
            "calm-fox-7",
        ),
    ],
)
def test_it_accepts_and_normalizes_cloud_urls(raw: str, url: str, name: str) -> None:
    parsed = parse_url(raw)
    assert parsed == DeploymentUrl(
        url=url, host=url[8:], port=443, deployment_name=name, self_hosted=False
    )


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("", "Enter your deployment URL"),
        ("happy-otter-123.convex.cloud", "must start with https://"),
        ("http://happy-otter-123.convex.cloud", "served over https"),
        ("ftp://happy-otter-123.convex.cloud", "not ftp://"),
        ("https://happy-otter-123.convex.cloud:8443", "Remove ':8443'"),
        ("https://happy-otter-123.convex.cloud:80", "Remove ':80'"),
        ("https://happy-otter-123.convex.cloud:0", "Remove ':0'"),
        ("https://happy-otter-123.convex.cloud:99999", "malformed"),
        ("https://happy-otter-123.convex.cloud:abc", "malformed"),
        ("https://user:pw@happy-otter-123.convex.cloud", "user name or password"),
        ("https://happy-otter-123.convex.cloud@evil.example", "user name or password"),
        ("https://evil.example#@happy-otter-123.convex.cloud", "Remove the fragment"),
        ("https://happy-otter-123.convex.cloud/api", "Remove the path '/api'"),
        ("https://happy-otter-123.convex.cloud//", "Remove the path"),
        ("https://happy-otter-123.convex.cloud?x=1", "Remove the query"),
        ("https://happy-otter-123.convex.cloud/?", "Remove the query"),
        ("https://happy-otter-123.convex.cloud#top", "Remove the fragment"),
        ("https://happy-otter-123.convex.cloud.", "trailing dot"),
        ("https://convex.cloud", "not a Convex cloud deployment"),
        ("https://a.b.c.convex.cloud", "not a Convex cloud deployment"),
        ("https://happy-otter-123.convex.cloud.evil.example", "not a Convex cloud deployment"),
        ("https://evil-convex.cloud", "not a Convex cloud deployment"),
        ("https://happy_otter.convex.cloud", "not a Convex cloud deployment"),
        ("https://example.com", "ask this site's operator to allow your host"),
        ("https://happy-otter-123.convex.site", "https://happy-otter-123.convex.cloud"),
        ("https://happy-otter-123.convex.cloud\u200b", "non-ASCII"),
        ("https://h\u00e4ppy.convex.cloud", "non-ASCII"),
        ("https://happy otter.convex.cloud", "spaces"),
        ("https://" + "a" * 300 + ".convex.cloud", "too long"),
        ("https://[::1", "malformed"),
    ],
)
def test_it_refuses_bad_urls_with_a_message_that_says_how_to_fix(raw: str, says: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_url(raw)
    assert caught.value.field == "url"
    assert says in caught.value.message


@pytest.mark.parametrize(
    "raw",
    [
        "https://2130706433",  # decimal 127.0.0.1
        "https://0x7f000001",  # hex
        "https://0x7f.0.0.1",
        "https://0177.0.0.1",  # octal
        "https://017700000001",
        "https://127.1",
        "https://127.0.0.1",
        "https://[::1]",
        "https://[::ffff:127.0.0.1]",
        "https://[::ffff:7f00:1]",
        "https://10.0.0.1",
        "https://172.16.0.1",
        "https://192.168.1.1",
        "https://169.254.169.254",  # cloud metadata
        "https://[fe80::1]",
        "https://[fd00::1]",
        "https://0.0.0.0",
        "https://localhost",
        "http://169.254.169.254/latest/meta-data/",
        "https://metadata.google.internal",
    ],
)
def test_it_refuses_ssrf_tricks_in_the_url(raw: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_url(raw)
    assert caught.value.field == "url"


def test_it_refuses_plain_http_to_a_host_that_is_not_allowed() -> None:
    with pytest.raises(InputError, match="Plain http:// is refused"):
        parse_url("http://convex.internal:3210")


# --- allow-list ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("allowed", "raw", "url"),
    [
        (["convex.internal"], "https://convex.internal", "https://convex.internal"),
        (["convex.internal"], "https://convex.internal:443/", "https://convex.internal"),
        (["convex.internal:3210"], "https://convex.internal:3210", "https://convex.internal:3210"),
        (["convex.internal:*"], "https://convex.internal:8443", "https://convex.internal:8443"),
        (["http://127.0.0.1:*"], "http://127.0.0.1:40123", "http://127.0.0.1:40123"),
        (["http://127.0.0.1:*"], "https://127.0.0.1:40123", "https://127.0.0.1:40123"),
        (["http://convex.internal"], "http://convex.internal", "http://convex.internal"),
        (["[::1]:*"], "https://[::1]:3210", "https://[::1]:3210"),
        (["CONVEX.internal"], "https://convex.INTERNAL", "https://convex.internal"),
    ],
)
def test_it_accepts_allow_listed_self_hosted_urls(settings, allowed, raw, url) -> None:
    settings.BYOD_ALLOWED_HOSTS = allowed
    parsed = parse_url(raw)
    assert parsed.url == url
    assert parsed.self_hosted and parsed.deployment_name is None


@pytest.mark.parametrize(
    ("allowed", "raw"),
    [
        (["convex.internal"], "https://convex.internal:3210"),  # no port: default port only
        (["convex.internal:3210"], "https://convex.internal:3211"),
        (["convex.internal:3210"], "http://convex.internal:3210"),  # http needs http://
        (["convex.internal"], "https://other.internal"),
        (["convex.internal"], "https://sub.convex.internal"),
        (["http://127.0.0.1:*"], "http://2130706433:40123"),  # same address, other spelling
        (["http://127.0.0.1:*"], "http://127.1:40123"),
        (["http://127.0.0.1:*"], "http://localhost:40123"),
        (["http://127.0.0.1:*"], "http://[::ffff:127.0.0.1]:40123"),
    ],
)
def test_it_matches_the_allow_list_exactly(settings, allowed, raw) -> None:
    settings.BYOD_ALLOWED_HOSTS = allowed
    with pytest.raises(InputError):
        parse_url(raw)


@pytest.mark.parametrize("entry", ["", "a:b:c", "host:port", "host:70000", "[::1", "bad host"])
def test_it_refuses_a_malformed_allow_list_entry_loudly(settings, entry: str) -> None:
    settings.BYOD_ALLOWED_HOSTS = [entry]
    with pytest.raises(ImproperlyConfigured, match="BYOD_ALLOWED_HOSTS entry"):
        parse_url("https://example.com")


# --- deploy keys -----------------------------------------------------------------------------

TOKEN = "eyJ2MiI6IjAxMjM0NTY3ODlhYmNkZWYifQ=="


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (f"prod:happy-otter-123|{TOKEN}", "prod"),
        (f"dev:happy-otter-123|{TOKEN}", "dev"),
        (f"preview:happy-otter-123|{TOKEN}", "preview"),
        (f"  prod:happy-otter-123|{TOKEN}\n", "prod"),
    ],
)
def test_it_accepts_cloud_deploy_keys_for_the_same_deployment(raw: str, kind: str) -> None:
    key = parse_deploy_key(raw, parse_url(CLOUD))
    assert key.kind == kind
    assert key.deployment_name == "happy-otter-123"
    assert key.value == raw.strip()


def test_it_accepts_a_self_hosted_admin_key_for_an_allow_listed_host(settings) -> None:
    settings.BYOD_ALLOWED_HOSTS = ["http://127.0.0.1:*"]
    key = parse_deploy_key(
        "convex-self-hosted|01ab23cd45ef6789abcdef", parse_url("http://127.0.0.1:3210")
    )
    assert (key.kind, key.deployment_name) == ("self_hosted", "convex-self-hosted")


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("", "Enter a deploy key"),
        (f"prod:other-deployment-9|{TOKEN}", "belongs to deployment 'other-deployment-9'"),
        (f"prod:happy-otter-123|{TOKEN[:5]}", "malformed"),
        ("prod:happy-otter-123|", "malformed"),
        (f"prod:|{TOKEN}", "malformed"),
        (f"prod:Happy_Otter|{TOKEN}", "malformed"),
        (f"prod:happy-otter-123|{TOKEN} extra", "spaces"),
        (f"prod:happy-otter-123|{TOKEN[:10]}\n{TOKEN[10:]}", "line breaks"),
        (f"staging:happy-otter-123|{TOKEN}", "not a Convex deploy key"),
        (TOKEN, "not a Convex deploy key"),
        ("happy-otter-123|0123456789abcdef0123", "self-hosted admin key"),
        ("x" * 5000, "too long"),
    ],
)
def test_it_refuses_bad_cloud_keys_with_a_message_that_says_how_to_fix(raw, says) -> None:
    with pytest.raises(InputError) as caught:
        parse_deploy_key(raw, parse_url(CLOUD))
    assert caught.value.field == "deploy_key"
    assert says in caught.value.message


def test_it_refuses_a_cloud_key_for_a_self_hosted_url(settings) -> None:
    settings.BYOD_ALLOWED_HOSTS = ["convex.internal"]
    with pytest.raises(InputError, match="self-hosted deployment"):
        parse_deploy_key(f"prod:happy-otter-123|{TOKEN}", parse_url("https://convex.internal"))


@pytest.mark.parametrize("raw", ["name|not-hex-at-all-zz", "name|abc", "|0123456789abcdef"])
def test_it_refuses_bad_self_hosted_keys(settings, raw: str) -> None:
    settings.BYOD_ALLOWED_HOSTS = ["convex.internal"]
    with pytest.raises(InputError, match=r"at least 16 hex digits"):
        parse_deploy_key(raw, parse_url("https://convex.internal"))


def test_it_never_repeats_the_key_in_an_error_or_repr() -> None:
    other = parse_url("https://other-deployment-9.convex.cloud")
    with pytest.raises(InputError) as caught:
        parse_deploy_key(KEY, other)
    assert_no_canary(str(caught.value), repr(caught.value))
    key = parse_deploy_key(KEY, parse_url(CLOUD))
    assert_no_canary(repr(key), str(key))
    broken = KEY.replace("|", " |")
    with pytest.raises(InputError) as caught:
        parse_deploy_key(broken, parse_url(CLOUD))
    assert_no_canary(caught.value)


# --- SSRF guard ------------------------------------------------------------------------------


def test_it_lets_a_cloud_host_with_public_addresses_through(fake_dns) -> None:
    fake_dns["happy-otter-123.convex.cloud"] = ["3.220.1.10", "2600:1f18::10"]
    assert guard_destination(parse_url(CLOUD)) == ("2600:1f18::10", "3.220.1.10")


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.31.255.255",
        "192.168.0.10",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "fec0::1",
    ],
)
def test_it_refuses_a_cloud_host_that_resolves_to_an_internal_address(fake_dns, address) -> None:
    # DNS rebinding: a name that passes the URL check but points inside our network.
    fake_dns["happy-otter-123.convex.cloud"] = ["3.220.1.10", address]
    with pytest.raises(UnsafeDestination, match="private or reserved") as caught:
        guard_destination(parse_url(CLOUD))
    assert caught.value.field == "url"


def test_it_says_when_the_host_does_not_resolve(fake_dns) -> None:
    with pytest.raises(HostNotFound, match="could not be found"):
        guard_destination(parse_url(CLOUD))


def test_it_lets_allow_listed_hosts_use_private_addresses(settings, fake_dns) -> None:
    settings.BYOD_ALLOWED_HOSTS = ["convex.internal:3210"]
    fake_dns["convex.internal"] = ["10.0.0.5"]
    assert guard_destination(parse_url("https://convex.internal:3210")) == ("10.0.0.5",)


def test_it_refuses_a_stored_url_once_its_host_leaves_the_allow_list(settings, fake_dns) -> None:
    settings.BYOD_ALLOWED_HOSTS = ["convex.internal:3210"]
    fake_dns["convex.internal"] = ["10.0.0.5"]
    stored = parse_url("https://convex.internal:3210")
    settings.BYOD_ALLOWED_HOSTS = []
    with pytest.raises(InputError, match="operator to allow your host"):
        guard_destination(stored)


def test_it_resolves_the_real_loopback_and_refuses_it_without_an_allow_list() -> None:
    # No fake DNS: a forged DeploymentUrl that skipped parse_url is still caught.
    forged = DeploymentUrl("https://localhost", "localhost", 443, "localhost", False)
    with pytest.raises(InputError):
        guard_destination(forged)


@override_settings(BYOD_ALLOWED_HOSTS=["http://127.0.0.1:*"])
def test_it_allows_the_emulator_on_loopback_when_allow_listed() -> None:
    assert guard_destination(parse_url("http://127.0.0.1:40123")) == ("127.0.0.1",)
