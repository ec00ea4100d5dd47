/// The built-in next-best-action rules. Kept identical to
/// docs/examples/copilot-rules.json (a test compares them): edit both.
let defaultRulesJSON = #"""
{
  "description": "Next-best-action rules for the agent copilot (the relay's built-in default). Keywords match whole words, case-insensitively, after light stemming; a rule fires when all of its conditions hold over the user's last few messages (or the sender given in 'from') and the user's current sentiment. At most three actions show, highest priority first.",
  "intents": [
    {"name": "refund", "keywords": ["refund", "money back", "reimburse", "reimbursement", "pay me back", "get my money"]},
    {"name": "return", "keywords": ["return", "send back", "send it back", "exchange", "return label", "wrong size"]},
    {"name": "delivery", "keywords": ["where is my order", "where is my parcel", "where is my package", "not arrived", "hasn't arrived", "hasnt arrived", "not received", "haven't received", "still waiting", "late", "delayed", "delay", "tracking", "track"]},
    {"name": "damaged", "keywords": ["damaged", "broken", "cracked", "smashed", "defective", "faulty", "doesn't work", "stopped working", "arrived broken"]},
    {"name": "cancel", "keywords": ["cancel", "cancellation", "don't want it anymore", "changed my mind", "stop my order"]},
    {"name": "password", "keywords": ["password", "can't log in", "cant log in", "can't sign in", "locked out", "reset link", "login", "log in", "sign in"]},
    {"name": "billing", "keywords": ["charged twice", "double charged", "charged two times", "overcharged", "extra charge", "unknown charge", "unauthorized charge", "unauthorised charge", "wrong amount", "dispute", "chargeback", "invoice", "billing"]},
    {"name": "address", "keywords": ["change my address", "change the address", "wrong address", "new address", "delivery address", "moved house"]}
  ],
  "rules": [
    {
      "id": "apologise",
      "when": {"sentimentBelow": -0.4},
      "action": {
        "title": "Acknowledge the frustration and apologise",
        "detail": "The customer is upset. Apologise once, sincerely, before anything else, and say what you will do next.",
        "template": "I'm really sorry about this — I completely understand how frustrating it is. I'm going to look into it right now and sort it out for you."
      },
      "priority": 100
    },
    {
      "id": "offer-escalation",
      "when": {"sentimentBelow": -0.6},
      "action": {
        "title": "Offer escalation to a team lead",
        "detail": "Sentiment is very negative. If you cannot resolve it in this chat, offer a call-back from a team lead (Escalations queue) within 24 hours.",
        "template": "If you'd prefer, I can escalate this to my team lead, who will call you back within 24 hours. Would that help?"
      },
      "priority": 95
    },
    {
      "id": "billing-dispute",
      "when": {"intent": "billing"},
      "action": {
        "title": "Check the payment history for a duplicate or wrong charge",
        "detail": "Back office → Payments: compare captured amounts with the order total. Duplicate authorisations drop off within 3–5 business days; real duplicate captures are refunded at once. Do not ask for full card numbers.",
        "template": "Thanks for flagging this. I'm checking the payments on your order now. Could you tell me the date and amount of the charge you don't recognise (the last four digits of the card are enough)?"
      },
      "priority": 80
    },
    {
      "id": "refund-status",
      "when": {"intent": "refund"},
      "action": {
        "title": "Check refund eligibility and status",
        "detail": "Refunds go back to the original payment method 3–5 business days after the return is received. Returns are accepted within 30 days; check Orders → Returns for the return status.",
        "template": "I can help with your refund. Could you share your order number? I'll check whether we've received the return and when the money will reach your account."
      },
      "priority": 70
    },
    {
      "id": "damaged-item",
      "when": {"intent": "damaged"},
      "action": {
        "title": "Ask for photos and offer a replacement or refund",
        "detail": "Items damaged in transit: ask for a photo of the item and the packaging, then offer a free replacement or a full refund — no return needed under €50.",
        "template": "I'm sorry it arrived damaged. Could you send me a photo of the item and the packaging? Then I'll arrange a free replacement or a full refund, whichever you prefer."
      },
      "priority": 65
    },
    {
      "id": "cancel-order",
      "when": {"intent": "cancel"},
      "action": {
        "title": "Cancel the order if it has not shipped",
        "detail": "Orders can be cancelled until they are handed to the carrier (status 'Processing'). Once shipped, offer a return instead; the refund follows the return.",
        "template": "I can check that for you. If your order hasn't been handed to the carrier yet, I'll cancel it right away and the full amount will be refunded. What's your order number?"
      },
      "priority": 60
    },
    {
      "id": "delivery-delay",
      "when": {"intent": "delivery"},
      "action": {
        "title": "Check the tracking status with the carrier",
        "detail": "Open the order's tracking link. No scan for 3 working days counts as delayed: open a carrier investigation; after 10 working days send a replacement or refund.",
        "template": "Let me check where your parcel is. Could you confirm your order number? I'll look up the latest tracking update with the carrier."
      },
      "priority": 55
    },
    {
      "id": "start-return",
      "when": {"intent": "return"},
      "action": {
        "title": "Send a prepaid return label",
        "detail": "Returns within 30 days of delivery are free. Create the label in Orders → Return item; exchanges ship once the return is scanned.",
        "template": "No problem — you can return it within 30 days of delivery, free of charge. I'll email you a prepaid return label now; just drop the parcel at any pick-up point."
      },
      "priority": 50
    },
    {
      "id": "password-reset",
      "when": {"intent": "password"},
      "action": {
        "title": "Send a password reset link",
        "detail": "Verify the account e-mail first. Reset links expire after 1 hour; after 5 failed attempts the account locks for 30 minutes. Never ask for the old password.",
        "template": "I can send you a new password reset link. Could you confirm the e-mail address on your account? The link will be valid for one hour."
      },
      "priority": 45
    },
    {
      "id": "change-address",
      "when": {"intent": "address"},
      "action": {
        "title": "Update the delivery address before dispatch",
        "detail": "Addresses can be changed while the order is 'Processing'. After dispatch, ask the carrier for a redirect from the tracking page.",
        "template": "I can update that for you if the order hasn't shipped yet. What's the new delivery address, including the postcode?"
      },
      "priority": 40
    },
    {
      "id": "ask-order-number",
      "when": {"anyKeywords": ["my order", "the order", "my parcel", "my package", "my delivery"]},
      "action": {
        "title": "Ask for the order number",
        "detail": "Look it up by e-mail address in the back office if the customer doesn't have it.",
        "template": "Could you share your order number? It starts with # and is in your confirmation e-mail."
      },
      "priority": 20
    },
    {
      "id": "confirm-refund-timeline",
      "when": {"anyKeywords": ["refund has been issued", "refunded", "issued a refund", "processed your refund"], "from": "agent"},
      "action": {
        "title": "Confirm when the refund arrives",
        "detail": "Card refunds take 3–5 business days; PayPal is usually instant.",
        "template": "You'll see the refund on your statement within 3–5 business days, depending on your bank."
      },
      "priority": 15
    },
    {
      "id": "wrap-up",
      "when": {"sentimentAbove": 0.4, "anyKeywords": ["thanks", "thank you", "perfect", "great", "sorted", "that's all"]},
      "action": {
        "title": "Wrap up the conversation",
        "detail": "The customer sounds satisfied: confirm nothing else is needed and close.",
        "template": "Glad I could help! Is there anything else I can do for you today?"
      },
      "priority": 10
    }
  ]
}
"""#
