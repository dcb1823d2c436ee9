"""Which addresses notify's outbound sends may reach, and the header values it writes (issue 21,
points 4 and 5). Pure: no resolver, no socket."""
import pytest

from notify.channels.addresses import inside, refusal
from notify.channels.sending import header_value


@pytest.mark.parametrize("address, kind", [
    ("127.0.0.1", "loopback"), ("127.8.0.1", "loopback"), ("::1", "loopback"),
    ("::ffff:127.0.0.1", "loopback"),  # an IPv4-mapped loopback is loopback
    ("10.1.2.3", "private"), ("172.16.0.9", "private"), ("192.168.1.1", "private"), ("fd12::1", "private"),
    ("169.254.169.254", "metadata"), ("100.100.100.200", "metadata"), ("fd00:ec2::254", "metadata"),
    ("169.254.10.10", "link-local"), ("fe80::1%eth0", "link-local"),
    ("224.0.0.1", "multicast"), ("ff02::1", "multicast"), ("0.0.0.0", "unspecified"),
    ("100.64.0.1", "not a public"), ("240.0.0.1", "reserved"), ("no-address", "not an address")])
def test_addresses_inside_are_named_for_what_they_are(address, kind):
    assert kind in inside(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "1.2.3.4", "2001:4860:4860::8888", "::ffff:8.8.8.8"])
def test_public_addresses_may_be_reached(address):
    assert inside(address) is None


def test_a_host_is_refused_if_any_of_its_addresses_is_inside_unless_an_admin_listed_it():
    assert refusal("oapi.dingtalk.com", ["8.8.8.8"], []) is None
    why = refusal("Evil.Example.", ["8.8.8.8", "127.0.0.1"], [])  # a resolver may hand out either one
    assert "evil.example resolves to a loopback address (127.0.0.1)" in why and "allowed_private_hosts" in why
    assert refusal("localhost", ["127.0.0.1"], ["LOCALHOST"]) is None  # the host listed
    assert refusal("receiver.test", ["127.0.0.1"], ["127.0.0.1"]) is None  # or the address it resolves to
    assert refusal("receiver.test", ["127.0.0.1", "10.0.0.1"], ["127.0.0.1"]) is not None
    assert refusal("[::1]", ["::1"], ["::1"]) is None
    assert refusal("gone.example", [], ["gone.example"]) == "gone.example does not resolve"


def test_header_values_lose_control_characters_and_line_separators():
    assert header_value("Time to follow up Acme\u2028Co") == "Time to follow up Acme Co"
    assert header_value("a\r\nBcc: x@evil.cn") == "a  Bcc: x@evil.cn"  # no header of its own
    assert header_value("x\u2029y\x00z\x85w\tv") == "x y z w v"
    assert header_value("该跟进阿克米了") == "该跟进阿克米了"
