"""Normalisers: every way people write one phone, email or company gives one key."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_common.kernel import identity as normalise
from crm_common.kernel.identity import NotNormalisable, company_key

FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


@pytest.mark.parametrize("written", [
    "13800138000", "138 0013 8000", "138-0013-8000", "+86 138-0013-8000", "+86-13800138000",
    "0086 13800138000", "+86 (138) 0013 8000", "１３８００１３８０００", "  13800138000  ",
])
def test_real_world_phone_variants_are_one_number(written):
    assert normalise.phone(written) == "+8613800138000"


@pytest.mark.parametrize("written,expected", [
    ("010-6552 9988", "+861065529988"), ("(021) 5012 3456", "+862150123456"), ("+1 650-253-0000", "+16502530000"),
])
def test_landlines_and_foreign_numbers(written, expected):
    assert normalise.phone(written) == expected


@pytest.mark.parametrize("bad", ["12", "1380013800", "abc", "+86 000 0000 0000", ""])
def test_invalid_phones_are_refused(bad):
    with pytest.raises(NotNormalisable):
        normalise.phone(bad)


@pytest.mark.parametrize("written,expected", [
    ("XX科技（北京）有限公司", "xx科技"), ("北京XX科技有限公司", "xx科技"), ("北京市XX科技股份有限公司", "xx科技"),
    ("ＸＸ科技有限公司", "xx科技"), ("上海 XX 科技 有限责任公司", "xx科技"), ("XX科技集团", "xx科技"),
    ("Acme Technology Co., Ltd.", "acmetechnology"), ("ACME TECHNOLOGY (Shanghai) Co Ltd", "acmetechnology"),
    ("Beijing Acme Technology Inc.", "acmetechnology"), ("Acme Technology GmbH", "acmetechnology"),
    ("Costco", "costco"), ("阿里巴巴（中国）网络技术有限公司", "阿里巴巴网络技术"),
])
def test_company_name_variants_share_a_key(written, expected):
    assert company_key(written) == expected


def test_a_bare_region_is_not_erased():
    assert company_key("北京") == "北京"


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), st.sampled_from(["", "+86 ", "0086", "+86-"]),
       st.sampled_from([" ", "-", ""]), st.booleans())
def test_any_formatting_of_a_mobile_number_gives_the_same_e164(digits, prefix, separator, full_width):
    try:
        expected = normalise.phone(digits)
    except NotNormalisable:
        return  # not an allocated number range: nothing to compare
    written = prefix + separator.join([digits[:3], digits[3:7], digits[7:]])
    if full_width:
        written = written.translate(FULL_WIDTH)
    assert normalise.phone(written) == expected


# A name has a brand (字号) before its trade words: a name of trade words alone keeps its place (DOMAIN §1).
_core = st.builds(str.__add__, st.sampled_from(["华信", "星河", "云帆", "abcd", "xyz"]),
                  st.text(alphabet="科技网络信息数据云智能软件abcdefghxyz", max_size=6))


@given(_core, st.sampled_from(["", "有限公司", "股份有限公司", "有限责任公司", "集团"]),
       st.sampled_from(["", "北京", "上海市", "广东省"]), st.sampled_from(["", "（深圳）", "(杭州)"]),
       st.booleans(), st.booleans())
def test_company_key_ignores_legal_form_region_width_and_case(core, legal, region, bracket, upper, wide):
    written = region + core + bracket + legal
    written = written.upper() if upper else written
    written = written.translate(FULL_WIDTH) if wide else written
    assert company_key(written) == company_key(core)


@given(st.emails())
def test_email_keys_ignore_case_and_surrounding_space(address):
    assert normalise.email(f"  {address.upper()} ") == normalise.email(address)


def test_identity_keys_include_company_with_contact_name():
    keys = normalise.identity_keys(["+8613800138000"], ["a@b.cn"], [], "北京XX科技有限公司", "Zhang Wei")
    assert keys == ["phone:+8613800138000", "email:a@b.cn", "company_contact:xx科技/zhangwei"]
