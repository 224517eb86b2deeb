from __future__ import annotations


class OcpiVersionConverter:
    regex = r"2\.2\.1|2\.3\.0"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
