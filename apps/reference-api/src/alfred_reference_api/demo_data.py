"""The demo workspace's CRM data: Brazilian and English customers on all four channels."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

__all__ = ["CONTACTS", "EXTRA_LEADS", "TASKS"]

# (name, channel, from, subject, message, hours ago)
CONTACTS: list[tuple[str, str, str, str | None, str, int]] = [
    (
        "Ana Souza",
        "email",
        "ana.souza@padariasol.com.br",
        "Orçamento plano anual",
        "Olá! Gostaria de saber o preço do plano anual para 5 usuários. Tem desconto?",
        3,
    ),
    (
        "Bruno Lima",
        "whatsapp",
        "+55 11 98765-1001",
        None,
        "Oi, quero fechar a compra do plano Pro hoje. Como faço o pagamento?",
        5,
    ),
    (
        "Carla Mendes",
        "sms",
        "+55 21 99876-2002",
        None,
        "O sistema está fora do ar desde cedo, não consigo acessar nada!! Urgente",
        1,
    ),
    (
        "Daniel Rocha",
        "webchat",
        "sess_demo_daniel",
        None,
        "Bom dia, posso agendar uma demonstração para quinta-feira às 15h?",
        26,
    ),
    (
        "Emily Carter",
        "email",
        "emily@northwind.io",
        "Pricing for 40 seats",
        "Hi, could you send pricing for 40 seats on the annual plan? We're comparing vendors.",
        30,
    ),
    (
        "Fernanda Alves",
        "whatsapp",
        "+55 31 99111-3003",
        None,
        "Quero cancelar minha assinatura, não estou usando mais.",
        50,
    ),
    (
        "Gabriel Costa",
        "email",
        "gabriel@costaimoveis.com.br",
        "Reclamação cobrança",
        "Fui cobrado duas vezes este mês. Péssimo! Quero o estorno imediatamente.",
        8,
    ),
    (
        "Hannah Brooks",
        "webchat",
        "hannah.brooks@brightlabs.co",
        None,
        "How do I reset my password? The reset link isn't arriving.",
        12,
    ),
    (
        "Igor Santos",
        "sms",
        "+55 41 98222-4004",
        None,
        "Vocês atendem no sábado? Queria marcar uma visita técnica.",
        72,
    ),
    (
        "Juliana Ribeiro",
        "email",
        "juliana@ribeiromoda.com.br",
        "Compra de licenças",
        "Vamos comprar mais 10 licenças. Podem enviar o boleto?",
        4,
    ),
    (
        "Kevin O'Neil",
        "whatsapp",
        "+1 415 555 0142",
        None,
        "Your app keeps crashing on Android after the update. Very frustrating.",
        20,
    ),
    (
        "Larissa Melo",
        "webchat",
        "sess_demo_larissa",
        None,
        "Qual a diferença entre o plano Básico e o Pro? E o valor?",
        9,
    ),
    (
        "Marcos Pereira",
        "email",
        "marcos@pereiralog.com.br",
        "Integração com ERP",
        "Como integro o Alfred com o nosso ERP? Precisamos de ajuda com a API.",
        40,
    ),
    (
        "Natalia Gomes",
        "sms",
        "+55 51 99333-5005",
        None,
        "Obrigada pelo atendimento de ontem, resolveu tudo! Vocês são ótimos.",
        60,
    ),
    (
        "Oliver Grant",
        "email",
        "oliver@grantco.uk",
        "Cancel subscription",
        "Please cancel our subscription at the end of this billing cycle.",
        90,
    ),
    (
        "Patrícia Nunes",
        "whatsapp",
        "+55 61 99444-6006",
        None,
        "Boa tarde! Consigo um desconto se pagar à vista? Quero contratar para a equipe toda.",
        2,
    ),
    (
        "Rafael Teixeira",
        "webchat",
        "+55 71 99555-7007",
        None,
        "Preciso reagendar a reunião de amanhã para sexta, pode ser?",
        15,
    ),
    (
        "Sarah Mitchell",
        "sms",
        "+1 212 555 0199",
        None,
        "Hi, is there a discount for nonprofits? What would 15 seats cost?",
        100,
    ),
    (
        "Thiago Barbosa",
        "email",
        "thiago@barbosaeng.com.br",
        "Problema no relatório",
        "O relatório mensal está vindo em branco. Podem verificar?",
        36,
    ),
    (
        "Vanessa Cardoso",
        "whatsapp",
        "+55 85 99666-8008",
        None,
        "Atendimento horrível, ninguém responde meus e-mails há uma semana!",
        18,
    ),
]

# (title, due offset from now (None = no due date), priority, status, contact index or None)
TASKS: list[tuple[str, timedelta | None, str, str, int | None]] = [
    ("Enviar proposta do plano anual", timedelta(days=-2), "high", "todo", 0),
    ("Confirmar pagamento do plano Pro", timedelta(hours=-5), "urgent", "in_progress", 1),
    ("Abrir chamado técnico: sistema fora do ar", timedelta(hours=-1), "urgent", "todo", 2),
    ("Preparar demo de quinta-feira", timedelta(days=2), "medium", "todo", 3),
    ("Send 40-seat quote to Northwind", timedelta(days=1), "high", "todo", 4),
    ("Oferta de retenção para Fernanda", timedelta(days=-1), "medium", "todo", 5),
    ("Estornar cobrança duplicada", timedelta(days=3), "high", "in_progress", 6),
    ("Follow up on Android crash report", None, "medium", "todo", 10),
    ("Agendar visita técnica de sábado", timedelta(days=-3), "low", "done", 8),
    ("Revisar relatório mensal em branco", timedelta(days=5), "medium", "todo", 18),
]

# Leads beyond the ones ingestion opens: (contact index, stage, value, currency, days quiet)
EXTRA_LEADS: list[tuple[int, str, Decimal | None, str | None, int]] = [
    (12, "qualified", Decimal("18000.00"), "BRL", 10),
    (13, "won", Decimal("4800.00"), "BRL", 2),
    (14, "lost", Decimal("2400.00"), "GBP", 20),
    (17, "proposal", Decimal("3600.00"), "USD", 12),
    (8, "negotiation", Decimal("9500.00"), "BRL", 1),
    (6, "new", None, None, 9),
]
