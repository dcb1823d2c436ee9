"""Validation messages reach the client as a flat list naming each bad field."""
from crm_common.errors import field_errors


def test_a_body_error_names_the_field_without_the_location():
    assert field_errors({"json": {"name": ["Missing data for required field."]}}) == [
        {"field": "name", "message": "Missing data for required field."}]


def test_query_errors_name_the_parameter():
    assert field_errors({"query": {"limit": ["Must be greater than or equal to 1."]}}) == [
        {"field": "limit", "message": "Must be greater than or equal to 1."}]


def test_nested_and_list_fields_are_named_by_their_path():
    messages = {"json": {"address": {"city": ["Not a valid string."]}, "phones": {1: ["Not a valid phone."]}}}
    assert field_errors(messages) == [
        {"field": "address.city", "message": "Not a valid string."},
        {"field": "phones.1", "message": "Not a valid phone."}]


def test_every_message_of_a_field_is_kept():
    assert field_errors({"email": ["Not a valid email.", "Too long."]}) == [
        {"field": "email", "message": "Not a valid email."}, {"field": "email", "message": "Too long."}]


def test_a_message_without_a_field_has_no_field_name():
    assert field_errors("the body must be a JSON object") == [
        {"field": None, "message": "the body must be a JSON object"}]
    assert field_errors(["first", "second"]) == [{"field": None, "message": "first"},
                                                 {"field": None, "message": "second"}]


def test_a_body_field_named_like_a_location_keeps_its_name():
    assert field_errors({"json": {"query": {"status": ["Not a valid choice."]}}}) == [
        {"field": "query.status", "message": "Not a valid choice."}]
