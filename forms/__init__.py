"""The statutory forms of Circular 01/2018/TT-VPCP (Mẫu 01–05) rendered as PDF."""

from forms.render import render_form

__all__ = ["render_form"]
