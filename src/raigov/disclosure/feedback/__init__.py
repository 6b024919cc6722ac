"""Public feedback on a use case (M-25-21 App. §4(b)(vii), issue #19 item 5): no account, no third-party CAPTCHA,
no JavaScript needed; routed to the owning component's queue, personal information masked before staff read it
(docs/feedback.md)."""
