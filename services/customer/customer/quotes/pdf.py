"""A quote as a PDF in Chinese. reportlab's built-in CID font STSong-Light (Adobe's Song, which every PDF
reader carries) draws the Chinese text, so no font file ships with the service."""
from __future__ import annotations

import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from crm_common.kernel import money

from . import pricing

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
STATUS = {"draft": "草稿", "sent": "已发送", "accepted": "已接受", "rejected": "已拒绝", "expired": "已过期",
          "superseded": "已被新版本取代"}
TITLE = ParagraphStyle("title", fontName=FONT, fontSize=18, leading=24, spaceAfter=6)
BODY = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=15)


def render(quote: dict, customer: dict, deal: dict) -> bytes:
    """The quote, its customer's name and its opportunity, the lines and the totals, on A4."""
    out = io.BytesIO()
    document = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                                 title=f"报价单 {customer['name']}", author="CRM")
    facts = [f"客户：{customer['name']}", f"商机：{deal['name']}",
             f"版本：第 {quote['quote_version']} 版　状态：{STATUS.get(quote['status'], quote['status'])}",
             f"有效期至：{quote['valid_until']}　编号：{quote['_id']}"]
    story = [Paragraph("报价单", TITLE), *[Paragraph(_escape(f), BODY) for f in facts], Spacer(1, 6 * mm),
             _lines(quote), Spacer(1, 4 * mm)]
    story += [Paragraph(_escape(f"{label}：¥{money.text(quote[key])}"), BODY)
              for label, key in (("小计", "subtotal"), ("折扣", "discount_total"), ("合计", "total"))]
    if quote.get("note"):
        story += [Spacer(1, 4 * mm), Paragraph(_escape(f"备注：{quote['note']}"), BODY)]
    document.build(story)
    return out.getvalue()


def _lines(quote: dict) -> Table:
    rows = [["产品 / 说明", "数量", "单位", "单价", "折扣率", "金额"]]
    rows += [[Paragraph(_escape(line["description"]), BODY), pricing.plain(line["quantity"]), line.get("unit") or "",
              money.text(line["unit_price"]), pricing.plain(line["discount"]), money.text(line["total"])]
             for line in quote["lines"]]
    table = Table(rows, colWidths=[70 * mm, 18 * mm, 16 * mm, 25 * mm, 18 * mm, 27 * mm], repeatRows=1)
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("FONTSIZE", (0, 0), (-1, -1), 9),
                               ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                               ("ALIGN", (1, 1), (-1, -1), "RIGHT"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return table


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
