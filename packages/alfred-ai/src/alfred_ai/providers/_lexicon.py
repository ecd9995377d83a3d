"""Word lists for the heuristics, Portuguese and English, accent-folded and lower case.

A pattern is one or more words separated by spaces; a word ending in `*` matches any word that
starts with it (`cancel*` matches `cancelar`, `cancelamento`, `cancelled`). Between the words of
a phrase, up to two filler words (articles, possessives) may stand: `cancel* assinatura` matches
`cancelar minha assinatura`.
"""

from __future__ import annotations

from alfred_ai.provider import Intent


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that may stand between the words of a phrase without breaking it.
FILLERS = _words(
    "o a os as um uma meu minha meus minhas nosso nossa nossos nossas seu sua seus suas "
    "de do da dos das the an my our your this that these those some"
)

# A negator up to three words before a match turns it off (intents) or flips it (sentiment).
NEGATORS = _words("nao nunca nem sem jamais not never no without")
NEGATION_WINDOW = 3

# Intent evidence. Weights are log-odds-like: 3-4 = the phrase alone settles the intent, 2 = strong
# hint, 1 = weak hint. A negative weight takes evidence away (`cancel* reuniao` is scheduling).
INTENT_PATTERNS: dict[str, dict[Intent, float]] = {}


def _add(intent: Intent, table: dict[str, float]) -> None:
    for pattern, weight in table.items():
        INTENT_PATTERNS.setdefault(pattern, {})[intent] = weight


_add(
    Intent.PRICING,
    {
        # Portuguese
        "quanto cust*": 3.5,
        "quanto sai": 3.5,
        "quanto fica": 3.5,
        "quanto ficaria": 3.5,
        "quanto esta": 3.0,
        "quanto e": 2.0,
        "quanto seria": 3.0,
        "quanto cobr*": 3.5,
        "quanto a mais": 3.0,
        "qual o valor": 3.5,
        "qual valor": 3.0,
        "preco*": 3.0,
        "valor": 2.0,
        "valores": 2.5,
        "tabela": 1.0,
        "orcamento": 2.5,
        "cotacao": 3.0,
        "custo*": 2.5,
        "mensalidade": 2.0,
        "desconto*": 2.5,
        "gratuito": 1.5,
        "gratis": 1.5,
        "caro": 2.5,
        "barato": 2.0,
        "cobr*": 1.0,
        "cobranca": 1.0,
        "por usuario": 2.0,
        "por licenca": 2.0,
        "por mes": 1.0,
        "imposto*": 1.5,
        "taxa*": 1.5,
        "planos": 1.0,
        "investimento": 1.5,
        "proporcional": 2.0,
        "a parte": 1.0,
        # English
        "how much": 3.5,
        "price*": 3.0,
        "pricing": 3.5,
        "cost": 3.0,
        "costs": 3.0,
        "quote*": 3.0,
        "expensive": 2.5,
        "cheap*": 2.0,
        "discount*": 2.5,
        "fee": 2.0,
        "fees": 2.0,
        "rates": 1.5,
        "per seat": 2.0,
        "per user": 2.0,
        "per month": 1.0,
        "free plan": 2.0,
        "free tier": 2.0,
        "trial": 1.0,
        "prorat*": 3.0,
        "tax": 1.5,
        "vat": 1.5,
        "tier*": 1.5,
        "plans": 1.0,
        "billed": 1.0,
        "billing": 1.0,
        "extra": 1.0,
        "budget": 0.5,
    },
)

_add(
    Intent.PURCHASE,
    {
        # Portuguese
        "quero contrat*": 4.0,
        "contratar": 2.0,
        "contratacao": 1.5,
        "quero compr*": 4.0,
        "comprar": 2.5,
        "compra": 2.0,
        "fechar": 2.5,
        "fechado": 3.0,
        "fecho": 3.0,
        "bora fechar": 3.5,
        "vamos fechar": 3.5,
        "quero assinar": 4.0,
        "assinar": 2.5,
        "assino": 3.0,
        "link de pagamento": 4.0,
        "pagamento": 1.5,
        "pagar": 2.0,
        "boleto": 2.0,
        "pix": 2.0,
        "cartao": 1.5,
        "fatura": 2.0,
        "nota fiscal": 1.5,
        "pedido de compra": 4.0,
        "pedido": 1.5,
        "upgrade": 3.5,
        "adicionar mais": 3.0,
        "renovar": 3.0,
        "proximo passo*": 2.5,
        "ativar": 2.0,
        "decidimos": 2.0,
        "aprovou": 2.0,
        "aprovado": 2.0,
        "proposta final": 3.0,
        "vou querer": 3.5,
        "quero o plano": 3.5,
        "seguir com": 2.5,
        "convencid*": 2.5,
        "gerar o boleto": 3.0,
        "cadastro": 0.5,
        # English
        "sign up": 3.5,
        "signup": 3.5,
        "buy": 3.0,
        "buying": 3.0,
        "purchas*": 3.0,
        "ready to": 1.5,
        "lets do it": 3.5,
        "let do it": 3.5,
        "deal": 2.5,
        "contract": 1.0,
        "sign it": 2.5,
        "i will sign": 3.0,
        "payment link": 4.0,
        "invoice": 2.0,
        "pay": 2.0,
        "credit card": 2.0,
        "card": 1.0,
        "po": 2.0,
        "purchase order": 4.0,
        "more seats": 3.0,
        "more licenses": 3.0,
        "more users": 1.0,
        "renew": 3.0,
        "next steps": 2.5,
        "get started": 2.0,
        "go with you": 3.5,
        "decided": 2.0,
        "subscribe": 2.5,
        "i will take": 3.5,
        "set up the account": 2.0,
        "order": 1.5,
        "proposal": 1.5,
        "convinced": 2.5,
        "approved": 2.0,
    },
)

_add(
    Intent.SUPPORT,
    {
        # Portuguese
        "nao consig*": 3.0,
        "nao funciona*": 3.0,
        "nao carrega": 3.0,
        "nao chega": 2.5,
        "nao receb*": 2.5,
        "nao acho": 2.5,
        "nao aparece": 2.5,
        "nao abre": 2.5,
        "erro": 2.5,
        "erros": 2.5,
        "bug*": 2.5,
        "travando": 2.5,
        "trava": 2.5,
        "parou": 2.5,
        "fora do ar": 3.0,
        "login": 2.0,
        "logar": 2.0,
        "senha": 2.0,
        "acessar": 1.5,
        "acesso": 1.5,
        "como faco": 2.5,
        "como eu": 2.0,
        "como faz": 2.0,
        "onde eu": 1.5,
        "onde fica": 1.5,
        "configur*": 2.0,
        "ajuda": 2.0,
        "ajudar": 2.0,
        "suporte": 1.0,
        "problema": 1.5,
        "integracao": 1.0,
        "importar": 1.5,
        "export*": 2.0,
        "sincroniz*": 2.0,
        "tutorial": 2.0,
        "atalho": 2.0,
        "verificar": 1.0,
        "codigo de verificacao": 2.0,
        "api": 1.0,
        "endpoint": 1.5,
        "botao": 1.5,
        "tem como": 1.5,
        "juntar": 1.5,
        "mesclar": 2.0,
        "duplicad*": 1.0,
        "esqueci": 2.5,
        "recuper*": 1.5,
        # English
        "can not": 2.0,
        "not working": 3.0,
        "not work": 3.0,
        "not load*": 3.0,
        "error*": 2.5,
        "crash*": 3.0,
        "stopped": 2.0,
        "down": 1.5,
        "log in": 2.0,
        "password": 2.0,
        "access": 1.5,
        "how do i": 2.5,
        "how can i": 2.5,
        "how to": 2.0,
        "where can i": 2.0,
        "where do i": 1.5,
        "help": 2.0,
        "need help": 3.0,
        "support": 1.0,
        "issue": 1.5,
        "problem": 1.5,
        "sync*": 2.0,
        "import*": 1.5,
        "settings": 1.5,
        "setting up": 1.0,
        "docs": 2.0,
        "documentation": 2.0,
        "shortcut": 2.0,
        "merge": 2.0,
        "not receiv*": 2.5,
        "never arrives": 2.5,
        "take a look": 1.5,
        "reset": 1.5,
        "2fa": 1.5,
        "button": 1.5,
        "any idea": 1.5,
    },
)

_add(
    Intent.COMPLAINT,
    {
        # Portuguese
        "pessim*": 3.0,
        "horrivel": 3.0,
        "absurdo": 3.0,
        "ridicul*": 3.0,
        "vergonha": 3.0,
        "descaso": 3.5,
        "falta de respeito": 3.5,
        "reclama*": 3.0,
        "reclame aqui": 4.0,
        "procon": 4.0,
        "insatisf*": 3.5,
        "decepcion*": 3.0,
        "enganad*": 3.0,
        "cobrado duas vezes": 3.5,
        "cobrado em dobro": 3.5,
        "duas vezes": 1.0,
        "de novo": 1.5,
        "terceira vez": 2.5,
        "mesmo problema": 2.0,
        "ninguem": 1.5,
        "nada resolvido": 2.5,
        "esperando": 1.0,
        "demora*": 2.0,
        "dinheiro de volta": 2.5,
        "reembolso": 1.5,
        "grosso": 3.0,
        "mal atendid*": 3.0,
        "atendimento": 1.0,
        "nota zero": 3.0,
        "nao aguento mais": 3.5,
        "cansativo": 2.0,
        "lento": 1.5,
        "instabilidade": 2.0,
        "perderam": 2.0,
        "esperava mais": 2.5,
        "esperava muito mais": 2.5,
        "prometeram": 2.0,
        "valor errado": 2.5,
        "sem avisar": 2.5,
        "desligaram": 1.5,
        "responsabilidade": 1.5,
        "lixo": 3.0,
        # English
        "terrible": 3.0,
        "awful": 3.0,
        "horrible": 3.0,
        "worst": 3.0,
        "ridiculous": 3.0,
        "unacceptable": 3.5,
        "disappoint*": 3.0,
        "dissatisf*": 3.5,
        "complain*": 3.0,
        "bbb": 3.0,
        "scam*": 3.0,
        "rude": 3.0,
        "pathetic": 3.0,
        "shame*": 3.0,
        "charged twice": 3.5,
        "charged me twice": 3.5,
        "money back": 2.0,
        "refund": 1.5,
        "again": 1.5,
        "third time": 2.5,
        "same issue": 2.0,
        "still nothing": 2.0,
        "nobody": 1.5,
        "no one": 1.5,
        "waiting": 1.0,
        "takes forever": 2.5,
        "forever": 1.5,
        "sick of": 3.0,
        "fed up": 3.0,
        "getting old": 2.5,
        "lost all": 2.0,
        "responsibility": 1.5,
        "zero stars": 3.0,
        "on hold": 1.5,
        "hung up": 2.0,
        "outages": 2.0,
        "slow": 1.5,
        "wrong amount": 2.5,
        "promised": 2.0,
        "expected more": 2.5,
        "expected a lot more": 2.5,
        "without telling": 2.5,
        "poor service": 3.0,
        "bad service": 3.0,
    },
)

_add(
    Intent.CANCELLATION,
    {
        # Portuguese
        "cancel*": 3.5,
        "encerr*": 2.5,
        "exclu* conta": 3.5,
        "apagar meus dados": 2.0,
        "rescind*": 3.5,
        "rescisao": 3.5,
        "nao quero renov*": 4.0,
        "renovacao automatica": 2.0,
        "desativ*": 2.0,
        "nao daremos continuidade": 4.0,
        "parem de cobrar": 3.5,
        "quero sair": 3.0,
        "desist*": 2.0,
        "suspender": 2.5,
        "dar baixa": 3.0,
        "voltar pro gratuito": 2.5,
        "outra ferramenta": 2.0,
        "multa": 2.5,
        "encerramento": 3.0,
        "termino do contrato": 2.0,
        # English
        "terminat*": 3.0,
        "termination fee": 3.5,
        "delete account": 3.5,
        "not want to renew": 4.0,
        "auto renewal": 2.0,
        "stop charging": 3.5,
        "i am done": 2.0,
        "not continue": 3.5,
        "end the contract": 3.0,
        "another tool": 2.0,
        "pause account": 2.5,
        "downgrade": 2.5,
        "unsubscribe": 2.5,
        "money back guarantee": 2.0,
    },
)

_add(
    Intent.SCHEDULING,
    {
        # Portuguese
        "marcar": 2.5,
        "agendar": 3.0,
        "agenda": 2.0,
        "agendamento": 3.0,
        "remarcar": 3.5,
        "reagendar": 3.5,
        "adiar": 3.0,
        "reuniao": 2.5,
        "call": 2.0,
        "ligacao": 1.5,
        "me ligar": 2.5,
        "ligar": 1.5,
        "demonstracao": 2.5,
        "demo": 2.5,
        "apresentacao": 2.0,
        "visita": 2.0,
        "treinamento": 1.5,
        "horario*": 2.0,
        "disponivel": 2.0,
        "disponibilidade": 2.0,
        "meet": 1.5,
        "zoom": 2.0,
        "de pe": 1.5,
        "atrasad*": 2.0,
        "confirmad*": 1.5,
        "confirma": 1.0,
        "conversar": 1.0,
        "semana que vem": 1.0,
        "proxima semana": 1.0,
        "segunda feira": 1.5,
        "terca": 1.5,
        "quarta": 1.5,
        "quinta": 1.5,
        "sexta": 1.5,
        "sabado": 1.5,
        "domingo": 1.5,
        "de manha": 1.0,
        "amanha": 1.0,
        # English
        "meeting*": 2.5,
        "schedule": 3.0,
        "scheduling": 3.0,
        "reschedule": 3.5,
        "book": 2.0,
        "call me": 2.5,
        "walkthrough": 2.0,
        "visit": 2.0,
        "training": 1.5,
        "available": 1.5,
        "availability": 2.0,
        "slot*": 2.0,
        "calendar": 2.0,
        "invite": 1.5,
        "still on": 2.0,
        "running late": 3.0,
        "late": 1.5,
        "push": 1.5,
        "kickoff": 2.0,
        "postpone": 3.0,
        "chat": 1.0,
        "monday": 1.5,
        "tuesday": 1.5,
        "wednesday": 1.5,
        "thursday": 1.5,
        "friday": 1.5,
        "saturday": 1.5,
        "sunday": 1.5,
        "tomorrow": 1.0,
        "next week": 1.0,
        "this week": 1.0,
        "confirm*": 1.0,
    },
)

_add(
    Intent.OTHER,
    {
        # Portuguese
        "obrigad*": 1.5,
        "valeu": 1.5,
        "bom dia": 1.0,
        "boa tarde": 1.0,
        "boa noite": 1.0,
        "parceria": 3.5,
        "curriculo": 3.5,
        "vaga de": 3.5,
        "fora do escritorio": 4.0,
        "numero errado": 4.0,
        "parabens": 3.0,
        "jornalista": 3.0,
        "materia": 1.5,
        "entrevista": 2.5,
        "feliz natal": 3.0,
        "quem sao": 3.0,
        "contratando": 3.0,
        "k": 1.0,
        "rs": 1.0,
        "ok": 1.5,
        "beleza": 1.0,
        "desculpa": 1.0,
        "qual cidade": 3.0,
        "oferecemos": 3.0,
        "somos uma agencia": 3.0,
        "agencia": 1.5,
        "ficou muito bom": 2.0,
        "so passando": 2.0,
        "nao lembro": 2.0,
        # English
        "thanks": 1.5,
        "thank you": 1.5,
        "good morning": 1.0,
        "good afternoon": 1.0,
        "partnership": 3.5,
        "partner": 2.0,
        "cv": 3.0,
        "resume": 2.0,
        "apply": 2.0,
        "position": 1.5,
        "out of the office": 4.0,
        "out of office": 4.0,
        "wrong number": 4.0,
        "congrats": 3.0,
        "congratulations": 3.0,
        "journalist": 3.0,
        "interview": 2.5,
        "happy holidays": 3.0,
        "merry christmas": 3.0,
        "who is this": 3.0,
        "hiring": 3.0,
        "lol": 1.0,
        "sorry": 1.0,
        "based": 1.5,
        "we offer": 3.0,
        "our services": 2.0,
        "agency": 1.5,
        "deck": 1.5,
        "looks great": 2.0,
        "great content": 2.0,
        "webinar": 2.0,
        "just wanted to say": 2.0,
        "not remember": 2.0,
    },
)

# Cross-intent phrases: the first word alone would point elsewhere.
INTENT_PATTERNS.update(
    {
        "cancel* reuniao": {Intent.SCHEDULING: 4.0, Intent.CANCELLATION: -3.5},
        "cancel* call": {Intent.SCHEDULING: 4.0, Intent.CANCELLATION: -3.5},
        "cancel* meeting*": {Intent.SCHEDULING: 4.0, Intent.CANCELLATION: -3.5},
        "cancel* demo": {Intent.SCHEDULING: 4.0, Intent.CANCELLATION: -3.5},
        "close account": {Intent.CANCELLATION: 3.5, Intent.PURCHASE: -1.0},
        "orcamento aprovado": {Intent.PURCHASE: 3.0, Intent.PRICING: -2.5},
        "aprovou o orcamento": {Intent.PURCHASE: 3.0, Intent.PRICING: -2.5},
        "budget approved": {Intent.PURCHASE: 3.0},
        "budget got approved": {Intent.PURCHASE: 3.0},
        "orcamento foi cortado": {Intent.CANCELLATION: 2.5, Intent.PRICING: -2.5},
        "budget was cut": {Intent.CANCELLATION: 2.5},
        "enviar uma apresentacao": {Intent.OTHER: 2.5, Intent.SCHEDULING: -2.0},
        "send you a deck": {Intent.OTHER: 2.5},
    }
)

# A clock time ("15h", "9h30", "3pm", "10am", "9:30") or a dated day ("dia 12", "the 20th").
TIME_PATTERN = (
    r"\b(?:\d{1,2}h(?:\d{2})?|\d{1,2}(?::\d{2})?\s?(?:am|pm)|\d{1,2}:\d{2}"
    r"|dia \d{1,2}|\d{1,2}(?:st|nd|rd|th))\b"
)
TIME_WEIGHT = 2.0

# Tie-break order: the earlier intent wins equal scores (the costlier one to miss comes first).
PRECEDENCE = (
    Intent.CANCELLATION,
    Intent.COMPLAINT,
    Intent.PURCHASE,
    Intent.PRICING,
    Intent.SCHEDULING,
    Intent.SUPPORT,
    Intent.OTHER,
)
MIN_INTENT_SCORE = 1.5  # below this, no intent is claimed: `other`

# Language detection: frequent function words and chat words.
PT_WORDS = _words(
    """
    de que nao o os um uma e da dos das na nos nas em para pra pro com por se mais mas
    voce voces meu minha esta estou estamos tem ter ja quero queria gostaria obrigado obrigada oi
    ola bom boa dia tarde noite como qual quanto isso esse essa muito ainda sim tambem sao ser
    foi vou vamos aqui ai la hoje amanha semana ao aos pelo pela ate entao porque quando onde
    favor pode podem posso preciso sobre seu sua nosso nossa eu ele ela eles nos foram sera
    tudo nada ninguem alguem vez vezes depois agora k rs valeu beleza toda todo todos todas
    equipe gente pessoal algum alguma alguns voces nunca sempre tambem cada outro outra mesmo
    """
)
EN_WORDS = _words(
    """
    the and to of i you is it for on my we our your can does how what please thanks thank this
    that with be are have has hi hello would could there any just not will get from at in an
    if or lol was were been am they them their us he she his her who when where why which
    all out up about into than then just also need want like know let one two good morning
    afternoon evening sorry great happy much more some yes send ready only still too never
    every everything anyone someone nothing already again these those should would could
    """
)
PT_SUFFIXES = ("cao", "coes", "mente", "inho", "inha", "oes", "agem")
EN_SUFFIXES = ("ing", "tion", "ly", "ness")

# Sentiment: valence per pattern, -3 (very negative) to 3 (very positive).
SENTIMENT_PATTERNS: dict[str, float] = {
    # Portuguese, positive
    "bom": 1.5,
    "otimo": 2.5,
    "excelente": 3.0,
    "maravilh*": 3.0,
    "perfeito": 2.5,
    "adorei": 3.0,
    "amei": 3.0,
    "gostei": 2.0,
    "legal": 1.5,
    "show": 1.5,
    "top": 1.5,
    "incrivel": 3.0,
    "parabens": 2.5,
    "obrigad*": 1.0,
    "valeu": 1.0,
    "feliz": 2.0,
    "satisfeit*": 2.0,
    "facil": 1.0,
    "funcionou": 1.5,
    "resolveu": 1.5,
    "beleza": 1.0,
    "sensacional": 3.0,
    "convencid*": 1.5,
    # Portuguese, negative
    "ruim": -2.0,
    "pessim*": -3.0,
    "horrivel": -3.0,
    "absurd*": -3.0,
    "ridicul*": -3.0,
    "vergonha": -3.0,
    "descaso": -3.0,
    "lixo": -3.0,
    "insatisf*": -2.5,
    "decepcion*": -2.5,
    "enganad*": -2.5,
    "grosso": -2.5,
    "raiva": -3.0,
    "lento": -1.5,
    "demora*": -1.5,
    "problema": -1.0,
    "erro": -1.0,
    "travando": -1.5,
    "caro": -1.0,
    "infelizmente": -1.5,
    "cansativo": -2.0,
    "instabilidade": -1.5,
    "perderam": -1.5,
    "falta de respeito": -3.0,
    "nao aguento": -3.0,
    "chateado": -2.0,
    "irritad*": -2.5,
    "triste": -2.0,
    "nota zero": -3.0,
    "reclama*": -1.5,
    # English, positive
    "good": 1.5,
    "great": 2.5,
    "excellent": 3.0,
    "awesome": 3.0,
    "amazing": 3.0,
    "love": 2.5,
    "loved": 2.5,
    "perfect": 2.5,
    "thanks": 1.0,
    "thank": 1.0,
    "happy": 2.0,
    "glad": 2.0,
    "nice": 1.5,
    "cool": 1.0,
    "congrats": 2.5,
    "convinced": 1.5,
    "easy": 1.0,
    "helpful": 2.0,
    "appreciate*": 2.0,
    "good news": 2.0,
    # English, negative
    "bad": -2.0,
    "terrible": -3.0,
    "awful": -3.0,
    "horrible": -3.0,
    "worst": -3.0,
    "ridiculous": -3.0,
    "unacceptable": -3.0,
    "disappoint*": -2.5,
    "angry": -3.0,
    "annoyed": -2.0,
    "frustrat*": -2.5,
    "rude": -2.5,
    "pathetic": -3.0,
    "shame*": -2.5,
    "scam*": -3.0,
    "slow": -1.5,
    "broken": -1.5,
    "crash*": -1.5,
    "error": -1.0,
    "problem": -1.0,
    "sick of": -2.5,
    "fed up": -2.5,
    "unfortunately": -1.5,
    "expensive": -1.0,
    "pricey": -1.0,
    "hate": -3.0,
    "useless": -3.0,
    "waste": -2.0,
    "forever": -1.0,
    "outage*": -1.5,
    "complain*": -1.5,
}
# Greetings that contain sentiment words but carry no tone.
NEUTRAL_PHRASES = ("bom dia", "boa tarde", "boa noite", "good morning", "good afternoon")
INTENSIFIERS: dict[str, float] = {
    "muito": 1.5,
    "super": 1.5,
    "extremamente": 1.8,
    "totalmente": 1.5,
    "mega": 1.5,
    "tao": 1.4,
    "very": 1.5,
    "really": 1.4,
    "so": 1.3,
    "extremely": 1.8,
    "incredibly": 1.8,
    "totally": 1.5,
    "absolutely": 1.6,
    "pouco": 0.5,
    "meio": 0.6,
    "bit": 0.5,
    "slightly": 0.5,
    "kinda": 0.6,
    "somewhat": 0.6,
}
EMOJI_VALENCE: dict[str, float] = {
    **dict.fromkeys("😀😃😄😁😊🙂😍🥰🤩😎👍👏🎉❤💙💚✅🙌🎄", 2.0),
    "🙏": 0.5,
    **dict.fromkeys("😡😠🤬😤😞😢😭👎💩😒🙄😩😫😔", -2.5),
}
SENTIMENT_BY_INTENT: dict[Intent, float] = {
    Intent.COMPLAINT: -1.5,
    Intent.CANCELLATION: -0.5,
    Intent.PURCHASE: 0.8,
}
SENTIMENT_NEUTRAL_BAND = 0.15

# Priority: 0 low, 1 medium, 2 high, 3 urgent.
BASE_PRIORITY: dict[Intent, int] = {
    Intent.CANCELLATION: 2,
    Intent.COMPLAINT: 2,
    Intent.PURCHASE: 2,
    Intent.PRICING: 1,
    Intent.SUPPORT: 1,
    Intent.SCHEDULING: 1,
    Intent.OTHER: 0,
}
URGENCY_STRONG = (
    "urgente",
    "urgencia",
    "emergencia",
    "urgent",
    "urgently",
    "emergency",
    "asap",
    "imediatamente",
    "immediately",
    "o quanto antes",
    "o mais rapido possivel",
    "right now",
    "critico",
    "critical",
)
URGENCY_TIME = ("hoje", "agora", "today", "now", "hoje mesmo")
OUTAGE = (
    "fora do ar",
    "sistema caiu",
    "ninguem consegue",
    "parado",
    "is down",
    "system down",
    "nobody can",
    "no one can",
    "nobody on",
)

# Lead score points.
LEAD_BASE = 20
LEAD_BY_INTENT: dict[Intent, int] = {
    Intent.PURCHASE: 50,
    Intent.PRICING: 30,
    Intent.SCHEDULING: 25,
    Intent.SUPPORT: 5,
    Intent.OTHER: 0,
    Intent.COMPLAINT: -5,
    Intent.CANCELLATION: -15,
}
LEAD_SENTIMENT_SCALE = 10
LEAD_SIZE_POINTS = {"large": 15, "medium": 8, "small": 2}
LEAD_URGENT_BUYER = 5
LEAD_HISTORY = 5

# Company-size hints in the text.
HEADCOUNT_PATTERN = (
    r"(\d[\d.,]*)\s*(k|mil)?\s*-?\s*(?:funcionarios|colaboradores|pessoas|usuarios|licencas|"
    r"vendedores|atendentes|employees|people|person|staff|users|seats|licenses|licences|reps|"
    r"agents)\b"
)
SITES_PATTERN = (
    r"(\d+)\s*(?:lojas|filiais|unidades|clinicas|escritorios|offices|stores|branches|locations|"
    r"clinics|sites)\b"
)
LARGE_WORDS = (
    "enterprise",
    "corporativo",
    "multinacional",
    "grupo",
    "rede de",
    "chain of",
    "diretoria",
    "diretor",
    "vp",
    "ceo",
    "board",
    "procurement",
    "accounts payable",
    "departamento",
    "department",
    "holding",
)
SMALL_WORDS = (
    "startup",
    "freelancer",
    "freela",
    "autonomo",
    "mei",
    "pequena empresa",
    "small business",
    "so eu",
    "just me",
    "sozinho",
)

# Price guidance cues.
PRICE_OBJECTION = (
    "caro",
    "expensive",
    "pricey",
    "concorrente",
    "competitor",
    "mais barato",
    "cheaper",
    "desconto",
    "discount",
    "wiggle room",
    "melhorar o valor",
    "hubspot",
    "pipedrive",
    "salesforce",
)
ANNUAL = ("anual", "annual", "annually", "yearly", "ano", "year")
NONPROFIT = ("ong", "nonprofit", "nonprofits", "non profit", "desconto social", "escola", "schools")
