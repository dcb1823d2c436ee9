"""The PDF a quote's mail carries, drawn here from the quote as crm.quote.sent tells it (its lines and
totals) and notify's copies of the customer and the deal, so sending needs no call to the customer
service. reportlab's CID font STSong-Light, which every PDF reader carries, draws the Chinese."""
from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def quote(rt, session, data: dict) -> bytes:
    customer = rt.db.customers.find_one({"_id": data["customer_id"]}, {"name": 1}, session=session) or {}
    deal = rt.db.opportunities.find_one({"_id": data.get("opportunity_id")}, {"name": 1}, session=session) or {}
    rows = [f"客户：{customer.get('name') or data['customer_id']}", f"商机：{deal.get('name') or ''}",
            f"第 {data['quote_version']} 版　有效期至 {data['valid_until']}　编号 {data['quote_id']}", ""]
    rows += [f"{line['description']}　× {line['quantity']}　单价 ¥{line['unit_price']}　折扣 {line['discount']}"
             f"　金额 ¥{line['total']}" for line in data["lines"]]
    rows += ["", f"小计 ¥{data['subtotal']}　折扣 ¥{data['discount_total']}　合计 ¥{data['total']}"]
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    page.setTitle(f"报价单 {customer.get('name') or ''}")
    page.setFont(FONT, 18)
    y = A4[1] - 60
    page.drawString(50, y, "报价单")
    page.setFont(FONT, 10)
    for row in rows:
        y -= 18
        if y < 50:
            page.showPage()
            page.setFont(FONT, 10)
            y = A4[1] - 60
        page.drawString(50, y, row[:90])
    page.save()
    return out.getvalue()
