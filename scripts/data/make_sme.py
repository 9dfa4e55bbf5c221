#!/usr/bin/env python3
"""Writes Sources/ConfianzaCore/Resources/Risk/sme-self-assessment.json: the SME self-assessment a CIRT offers
its country's businesses. Thirty plain-language questions (our own wording, in English, Spanish and French),
each tied to a NIST CSF 2.0 category, asked by size band and sector, with the action it leads to: why it
matters, what to do, effort, impact, and a public guide. Run again after editing; the app checks the file at load."""
import json, os

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Sources", "ConfianzaCore", "Resources", "Risk", "sme-self-assessment.json")

NCSC = "https://www.ncsc.gov.uk/collection/small-business-guide"
NIST = "https://nvlpubs.nist.gov/nistpubs/SpecialPublications/NIST.SP.1300.pdf"
FTC = "https://www.ftc.gov/business-guidance/small-businesses/cybersecurity"
ENISA = "https://www.enisa.europa.eu/publications/cybersecurity-guide-for-smes"
PCI = "https://www.pcisecuritystandards.org/merchants/"
CISA = "https://www.cisa.gov/cyber-essentials"

def t(en, es, fr): return {"en": en, "es": es, "fr": fr}

SIZES = [
 ("micro", t("1 to 9 people", "De 1 a 9 personas", "De 1 à 9 personnes")),
 ("small", t("10 to 49 people", "De 10 a 49 personas", "De 10 à 49 personnes")),
 ("medium", t("50 to 249 people", "De 50 a 249 personas", "De 50 à 249 personnes")),
]
SECTORS = [
 ("retail", t("Shop or online sales", "Comercio o venta en línea", "Commerce ou vente en ligne")),
 ("hospitality", t("Hotel, restaurant or tourism", "Hotelería, restauración o turismo", "Hôtellerie, restauration ou tourisme")),
 ("health", t("Health care", "Salud", "Santé")),
 ("finance", t("Finance, insurance or accounting", "Finanzas, seguros o contabilidad", "Finance, assurance ou comptabilité")),
 ("manufacturing", t("Manufacturing or construction", "Industria o construcción", "Industrie ou construction")),
 ("professional", t("Professional services (law, consulting, IT)", "Servicios profesionales (derecho, consultoría, informática)", "Services professionnels (droit, conseil, informatique)")),
 ("education", t("Education or training", "Educación o formación", "Éducation ou formation")),
 ("agriculture", t("Agriculture or fishing", "Agricultura o pesca", "Agriculture ou pêche")),
 ("other", t("Other", "Otro", "Autre")),
]
CHOICES = [
 ("yes", 3, t("Yes", "Sí", "Oui")),
 ("mostly", 2, t("Mostly", "En gran parte", "En grande partie")),
 ("partly", 1, t("Partly", "En parte", "En partie")),
 ("no", 0, t("No", "No", "Non")),
 ("unsure", 0, t("I don't know", "No lo sé", "Je ne sais pas")),
]
TIERS = [
 (1, 0, t("Partial", "Parcial", "Partiel"), t("Security happens by chance: a few good habits, not yet a routine.", "La seguridad depende del azar: algunos buenos hábitos, aún sin rutina.", "La sécurité tient du hasard : quelques bonnes habitudes, pas encore une routine.")),
 (2, 40, t("Risk informed", "Informado por el riesgo", "Informé par le risque"), t("You know what matters and have started to protect it.", "Sabe qué es importante y ha empezado a protegerlo.", "Vous savez ce qui compte et avez commencé à le protéger.")),
 (3, 65, t("Repeatable", "Repetible", "Reproductible"), t("Good practice is a routine that does not depend on one person.", "Las buenas prácticas son una rutina que no depende de una sola persona.", "Les bonnes pratiques sont une routine qui ne dépend pas d'une seule personne.")),
 (4, 85, t("Adaptive", "Adaptativo", "Adaptatif"), t("You check, learn from incidents and improve.", "Verifica, aprende de los incidentes y mejora.", "Vous vérifiez, tirez les leçons des incidents et vous améliorez.")),
]

# (id, category, effort, impact, sizes or None, sectors or None, emphasis sectors, guide, question, why, action)
Q = [
 ("gv-owner", "GV.RR", "low", "high", None, None, [], NIST,
  t("Is one person responsible for cybersecurity in your business, with time set aside for it?", "¿Hay una persona responsable de la ciberseguridad en su empresa, con tiempo dedicado a ello?", "Une personne est-elle responsable de la cybersécurité de votre entreprise, avec du temps prévu pour cela ?"),
  t("When everyone is a little responsible, nobody checks the backups or answers the alert.", "Cuando todos son un poco responsables, nadie revisa las copias ni atiende la alerta.", "Quand tout le monde est un peu responsable, personne ne vérifie les sauvegardes ni ne répond à l'alerte."),
  t("Name one person responsible for cybersecurity and give them a few hours a month for it.", "Nombre a una persona responsable de la ciberseguridad y dele unas horas al mes para ello.", "Désignez une personne responsable de la cybersécurité et donnez-lui quelques heures par mois.")),
 ("gv-risks", "GV.RM", "low", "medium", None, None, [], NIST,
  t("Have you listed what would hurt the business most if computers or data were lost or unavailable?", "¿Ha anotado qué perjudicaría más a la empresa si los equipos o los datos se perdieran o no estuvieran disponibles?", "Avez-vous noté ce qui nuirait le plus à l'entreprise si les ordinateurs ou les données étaient perdus ou indisponibles ?"),
  t("Knowing what matters most tells you where to spend your first hour and your first coin.", "Saber qué importa más indica dónde invertir la primera hora y el primer peso.", "Savoir ce qui compte le plus indique où consacrer la première heure et le premier euro."),
  t("Write down your five most important systems and data, and what a day without each would cost.", "Anote sus cinco sistemas y datos más importantes y lo que costaría un día sin cada uno.", "Notez vos cinq systèmes et données les plus importants et ce que coûterait une journée sans chacun.")),
 ("gv-policy", "GV.PO", "medium", "medium", ["small", "medium"], None, [], ENISA,
  t("Do you have short written rules for staff on using computers, e-mail and company data?", "¿Tiene normas escritas y breves para el personal sobre el uso de equipos, correo y datos de la empresa?", "Avez-vous des règles écrites et courtes pour le personnel sur l'usage des ordinateurs, du courriel et des données ?"),
  t("Rules that are written down are the same for everyone and can be taught to newcomers.", "Las normas escritas son iguales para todos y se pueden enseñar a quien llega.", "Des règles écrites sont les mêmes pour tous et s'enseignent aux nouveaux venus."),
  t("Write one page of rules (passwords, e-mail, personal devices, reporting problems) and have staff read it.", "Redacte una página de normas (contraseñas, correo, equipos personales, cómo avisar de problemas) y haga que el personal la lea.", "Rédigez une page de règles (mots de passe, courriel, appareils personnels, signalement) et faites-la lire au personnel.")),
 ("gv-suppliers", "GV.SC", "medium", "medium", None, None, ["professional", "finance"], ENISA,
  t("Do you know which suppliers (IT support, cloud, software) hold your data or can reach your systems?", "¿Sabe qué proveedores (soporte informático, nube, software) tienen sus datos o pueden acceder a sus sistemas?", "Savez-vous quels fournisseurs (support informatique, cloud, logiciels) détiennent vos données ou accèdent à vos systèmes ?"),
  t("Many small businesses are attacked through their IT provider or a cloud account they forgot.", "Muchas pequeñas empresas son atacadas a través de su proveedor informático o de una cuenta en la nube olvidada.", "Beaucoup de petites entreprises sont attaquées via leur prestataire informatique ou un compte cloud oublié."),
  t("List your suppliers with access to data or systems and ask each what security they provide.", "Haga una lista de los proveedores con acceso a datos o sistemas y pregunte a cada uno qué seguridad ofrece.", "Listez les fournisseurs ayant accès aux données ou systèmes et demandez à chacun quelle sécurité il assure.")),
 ("gv-law", "GV.OC", "low", "medium", None, None, ["health", "finance", "retail"], FTC,
  t("Do you know which laws and contracts require you to protect data (personal data, payment cards, health records)?", "¿Sabe qué leyes y contratos le obligan a proteger datos (datos personales, tarjetas de pago, historias clínicas)?", "Savez-vous quelles lois et quels contrats vous obligent à protéger des données (données personnelles, cartes de paiement, dossiers de santé) ?"),
  t("A breach of protected data can bring fines and lost contracts on top of the damage.", "Una fuga de datos protegidos puede traer multas y contratos perdidos además del daño.", "Une fuite de données protégées peut entraîner amendes et contrats perdus en plus du dommage."),
  t("Ask your accountant, lawyer or business association which data rules apply to you and note them.", "Pregunte a su contador, abogado o asociación empresarial qué normas de datos le aplican y anótelas.", "Demandez à votre comptable, avocat ou organisation professionnelle quelles règles s'appliquent et notez-les.")),
 ("id-devices", "ID.AM", "low", "medium", None, None, [], NCSC,
  t("Do you keep a list of the business's computers, phones and other devices, and who uses them?", "¿Mantiene una lista de los equipos, teléfonos y otros dispositivos de la empresa, y de quién los usa?", "Tenez-vous une liste des ordinateurs, téléphones et autres appareils de l'entreprise, et de leurs utilisateurs ?"),
  t("You cannot update, lock or recover a device you do not know you have.", "No se puede actualizar, bloquear ni recuperar un dispositivo que no se sabe que existe.", "On ne peut ni mettre à jour, ni verrouiller, ni récupérer un appareil dont on ignore l'existence."),
  t("Make a simple list of devices: what, who uses it, and when it was last updated.", "Haga una lista sencilla de dispositivos: qué es, quién lo usa y cuándo se actualizó por última vez.", "Faites une liste simple des appareils : quoi, qui l'utilise, dernière mise à jour.")),
 ("id-data", "ID.AM", "low", "high", None, None, ["health", "finance", "professional"], NCSC,
  t("Do you know where your important data is kept (which computers, which online services)?", "¿Sabe dónde se guardan sus datos importantes (en qué equipos, en qué servicios en línea)?", "Savez-vous où sont vos données importantes (quels ordinateurs, quels services en ligne) ?"),
  t("Backups and protection only cover data you know about.", "Las copias y la protección solo cubren los datos que conoce.", "Les sauvegardes et la protection ne couvrent que les données que vous connaissez."),
  t("Note where customer, financial and staff data live, and who can open them.", "Anote dónde están los datos de clientes, financieros y del personal, y quién puede abrirlos.", "Notez où se trouvent les données clients, financières et du personnel, et qui peut les ouvrir.")),
 ("id-software", "ID.AM", "low", "low", ["small", "medium"], None, [], CISA,
  t("Do you keep a list of the software and online services you use, and who manages each?", "¿Mantiene una lista del software y los servicios en línea que usa, y de quién gestiona cada uno?", "Tenez-vous une liste des logiciels et services en ligne utilisés, et de qui gère chacun ?"),
  t("Forgotten accounts and old software are an easy way in.", "Las cuentas olvidadas y el software viejo son una entrada fácil.", "Les comptes oubliés et les vieux logiciels sont une porte d'entrée facile."),
  t("List your software and services; close those you no longer use.", "Haga una lista de su software y servicios; cierre los que ya no usa.", "Listez vos logiciels et services ; fermez ceux que vous n'utilisez plus.")),
 ("id-alerts", "ID.RA", "low", "medium", None, None, [], CISA,
  t("Do you receive security alerts (from your national CIRT or your suppliers) about what you use, and act on them?", "¿Recibe alertas de seguridad (de su CIRT nacional o de sus proveedores) sobre lo que usa, y actúa en consecuencia?", "Recevez-vous des alertes de sécurité (de votre CIRT national ou de vos fournisseurs) sur ce que vous utilisez, et agissez-vous ?"),
  t("Most attacks use weaknesses that were announced, with a fix, weeks before.", "La mayoría de los ataques usan fallos anunciados, con su corrección, semanas antes.", "La plupart des attaques exploitent des failles annoncées, avec leur correctif, des semaines avant."),
  t("Subscribe to your national CIRT's alerts and your main suppliers' security notices.", "Suscríbase a las alertas de su CIRT nacional y a los avisos de seguridad de sus proveedores principales.", "Abonnez-vous aux alertes de votre CIRT national et aux avis de sécurité de vos principaux fournisseurs.")),
 ("id-lessons", "ID.IM", "low", "medium", ["medium"], None, [], NIST,
  t("After a problem or a near miss, do you write down what to change, and then change it?", "Después de un problema o de un casi incidente, ¿anota qué cambiar y luego lo cambia?", "Après un problème ou un incident évité de justesse, notez-vous quoi changer, puis le changez-vous ?"),
  t("The same mistake costs less the second time only if someone learned from the first.", "El mismo error cuesta menos la segunda vez solo si alguien aprendió de la primera.", "La même erreur coûte moins la deuxième fois seulement si quelqu'un a tiré les leçons de la première."),
  t("After each incident, hold a short meeting and write three things to improve, with a name and a date.", "Tras cada incidente, haga una reunión breve y anote tres mejoras, con responsable y fecha.", "Après chaque incident, tenez une courte réunion et notez trois améliorations, avec un nom et une date.")),
 ("pr-passwords", "PR.AA", "low", "high", None, None, [], NCSC,
  t("Does every person have their own account, with a strong password not used anywhere else?", "¿Cada persona tiene su propia cuenta, con una contraseña robusta que no usa en ningún otro sitio?", "Chaque personne a-t-elle son propre compte, avec un mot de passe robuste utilisé nulle part ailleurs ?"),
  t("Shared and reused passwords let one stolen password open everything.", "Las contraseñas compartidas o reutilizadas hacen que una sola robada lo abra todo.", "Les mots de passe partagés ou réutilisés permettent à un seul mot de passe volé de tout ouvrir."),
  t("Give everyone their own account and a password manager; use long passphrases.", "Dé a cada persona su propia cuenta y un gestor de contraseñas; use frases de paso largas.", "Donnez à chacun son compte et un gestionnaire de mots de passe ; utilisez de longues phrases de passe.")),
 ("pr-mfa", "PR.AA", "low", "high", None, None, ["finance", "retail"], CISA,
  t("Is two-step verification (a code or an app besides the password) on for e-mail, banking and administrator accounts?", "¿Está activada la verificación en dos pasos (un código o una aplicación además de la contraseña) en el correo, la banca y las cuentas de administración?", "La vérification en deux étapes (un code ou une application en plus du mot de passe) est-elle activée pour le courriel, la banque et les comptes administrateur ?"),
  t("It stops most account takeovers, even when a password has been stolen.", "Detiene la mayoría de las tomas de cuentas, incluso cuando la contraseña fue robada.", "Elle bloque la plupart des prises de contrôle de comptes, même quand le mot de passe a été volé."),
  t("Turn on two-step verification for e-mail, online banking and every administrator account, starting today.", "Active la verificación en dos pasos en el correo, la banca en línea y cada cuenta de administración, desde hoy.", "Activez la vérification en deux étapes pour le courriel, la banque en ligne et chaque compte administrateur, dès aujourd'hui.")),
 ("pr-admin", "PR.AA", "medium", "medium", None, None, [], NCSC,
  t("Do staff use ordinary accounts every day, keeping administrator accounts for installing software and changing settings?", "¿El personal usa cuentas normales a diario y reserva las de administrador para instalar programas y cambiar ajustes?", "Le personnel utilise-t-il des comptes ordinaires au quotidien, en gardant les comptes administrateur pour installer et configurer ?"),
  t("Malware opened by an ordinary account can do far less harm.", "Un programa malicioso abierto desde una cuenta normal hace mucho menos daño.", "Un logiciel malveillant ouvert depuis un compte ordinaire fait bien moins de dégâts."),
  t("Remove administrator rights from daily accounts; keep one separate administrator account.", "Quite los permisos de administrador de las cuentas diarias; mantenga una cuenta de administración aparte.", "Retirez les droits administrateur des comptes quotidiens ; gardez un compte administrateur distinct.")),
 ("pr-leavers", "PR.AA", "low", "medium", None, None, [], FTC,
  t("When someone leaves, are their accounts and access removed the same day?", "Cuando alguien se va, ¿se eliminan sus cuentas y accesos el mismo día?", "Quand quelqu'un part, ses comptes et accès sont-ils supprimés le jour même ?"),
  t("Old accounts of former staff are used in fraud and data theft.", "Las cuentas antiguas de ex empleados se usan para fraudes y robos de datos.", "Les anciens comptes d'ex-employés servent à des fraudes et des vols de données."),
  t("Keep a leaving checklist: accounts, shared passwords, keys, devices.", "Tenga una lista para las salidas: cuentas, contraseñas compartidas, llaves, dispositivos.", "Tenez une liste de départ : comptes, mots de passe partagés, clés, appareils.")),
 ("pr-training", "PR.AT", "low", "high", None, None, ["finance", "retail", "professional"], NCSC,
  t("Have staff learned in the last year how to spot phishing and scams, and whom to tell?", "¿El personal aprendió en el último año a reconocer el phishing y las estafas, y a quién avisar?", "Le personnel a-t-il appris dans l'année à repérer l'hameçonnage et les arnaques, et qui prévenir ?"),
  t("Phishing is the most common way into a small business.", "El phishing es la vía de entrada más común en una pequeña empresa.", "L'hameçonnage est la porte d'entrée la plus courante dans une petite entreprise."),
  t("Run a short session on phishing every year and make reporting a suspicious message easy and blame-free.", "Haga cada año una sesión breve sobre phishing y facilite avisar de un mensaje sospechoso, sin culpas.", "Organisez chaque année une courte séance sur l'hameçonnage et rendez le signalement simple et sans reproche.")),
 ("pr-updates", "PR.PS", "low", "high", None, None, [], CISA,
  t("Are operating systems, browsers and apps updated automatically, or within two weeks of an update?", "¿Los sistemas operativos, navegadores y aplicaciones se actualizan automáticamente o dentro de las dos semanas?", "Les systèmes, navigateurs et applications sont-ils mis à jour automatiquement ou sous deux semaines ?"),
  t("Updates close the holes attackers use; unsupported software never gets them.", "Las actualizaciones cierran los huecos que usan los atacantes; el software sin soporte nunca las recibe.", "Les mises à jour ferment les failles utilisées ; un logiciel non maintenu n'en reçoit plus."),
  t("Turn on automatic updates everywhere and replace software and devices that no longer get them.", "Active las actualizaciones automáticas en todo y reemplace el software y los equipos que ya no las reciben.", "Activez partout les mises à jour automatiques et remplacez ce qui n'en reçoit plus.")),
 ("pr-malware", "PR.PS", "low", "medium", None, None, [], FTC,
  t("Is anti-malware protection on and up to date on every computer?", "¿La protección antimalware está activa y al día en todos los equipos?", "La protection anti-logiciels malveillants est-elle active et à jour sur chaque ordinateur ?"),
  t("It catches much of the common malware before it runs.", "Detecta gran parte del malware común antes de que se ejecute.", "Elle arrête une grande partie des logiciels malveillants courants avant leur exécution."),
  t("Check that the built-in protection (or another product) is on and updating on each computer.", "Compruebe que la protección integrada (u otro producto) está activa y actualizándose en cada equipo.", "Vérifiez que la protection intégrée (ou un autre produit) est active et à jour sur chaque poste.")),
 ("pr-backup", "PR.DS", "medium", "high", None, None, ["health", "professional"], NCSC,
  t("Do you back up important data at least weekly, with one copy offline or separate from your network?", "¿Hace copias de seguridad de los datos importantes al menos cada semana, con una copia desconectada o separada de su red?", "Sauvegardez-vous les données importantes au moins chaque semaine, avec une copie hors ligne ou séparée du réseau ?"),
  t("A backup the ransomware cannot reach is what lets you recover without paying.", "Una copia que el ransomware no alcanza es lo que permite recuperarse sin pagar.", "Une sauvegarde hors de portée du rançongiciel permet de repartir sans payer."),
  t("Back up weekly (daily if you can) and keep one copy disconnected or in a separate account.", "Haga copias cada semana (cada día si puede) y guarde una desconectada o en una cuenta separada.", "Sauvegardez chaque semaine (chaque jour si possible) et gardez une copie déconnectée ou dans un compte séparé.")),
 ("pr-restore", "PR.DS", "low", "high", None, None, [], NCSC,
  t("Have you tried restoring files from your backup in the last year?", "¿Ha probado restaurar archivos desde su copia de seguridad en el último año?", "Avez-vous essayé de restaurer des fichiers depuis votre sauvegarde dans l'année ?"),
  t("Many businesses find out their backup does not work on the day they need it.", "Muchas empresas descubren que su copia no funciona el día que la necesitan.", "Beaucoup d'entreprises découvrent que leur sauvegarde ne marche pas le jour où elles en ont besoin."),
  t("Restore a few files (and once a year a whole computer) from the backup and time it.", "Restaure algunos archivos (y una vez al año un equipo entero) desde la copia y mida el tiempo.", "Restaurez quelques fichiers (et une fois par an un poste entier) depuis la sauvegarde, en mesurant le temps.")),
 ("pr-encrypt", "PR.DS", "low", "medium", None, None, ["health", "finance", "professional"], FTC,
  t("Are laptops and phones encrypted and locked with a PIN or password?", "¿Los portátiles y teléfonos están cifrados y bloqueados con un PIN o una contraseña?", "Les portables et téléphones sont-ils chiffrés et verrouillés par un code ou un mot de passe ?"),
  t("A lost or stolen device then loses you a device, not your customers' data.", "Así, un equipo perdido o robado le cuesta un equipo, no los datos de sus clientes.", "Un appareil perdu ou volé ne vous coûte alors qu'un appareil, pas les données de vos clients."),
  t("Turn on device encryption and a screen lock on every laptop and phone used for work.", "Active el cifrado y el bloqueo de pantalla en cada portátil y teléfono usado para trabajar.", "Activez le chiffrement et le verrouillage d'écran sur chaque portable et téléphone professionnel.")),
 ("pr-wifi", "PR.IR", "low", "medium", None, None, ["hospitality", "retail", "education"], CISA,
  t("Is your Wi-Fi protected with WPA2 or WPA3 and a strong password, with a separate network for guests?", "¿Su wifi está protegido con WPA2 o WPA3 y una contraseña robusta, con una red separada para visitantes?", "Votre wifi est-il protégé en WPA2 ou WPA3 avec un mot de passe robuste, et un réseau séparé pour les invités ?"),
  t("Guests and passers-by on your business network can reach your computers and tills.", "Visitantes y transeúntes en la red de la empresa pueden llegar a sus equipos y cajas.", "Des invités ou passants sur le réseau de l'entreprise peuvent atteindre vos postes et caisses."),
  t("Set WPA2/WPA3 with a long password and put guests on a separate network.", "Configure WPA2/WPA3 con una contraseña larga y ponga a los visitantes en una red separada.", "Configurez WPA2/WPA3 avec un long mot de passe et placez les invités sur un réseau séparé.")),
 ("pr-router", "PR.IR", "low", "medium", None, None, [], NCSC,
  t("Is your internet router's firewall on, its default password changed and its software updated?", "¿El cortafuegos del router está activo, su contraseña de fábrica cambiada y su software actualizado?", "Le pare-feu de votre box ou routeur est-il actif, son mot de passe d'usine changé et son logiciel à jour ?"),
  t("The router is the front door of the business network.", "El router es la puerta de entrada de la red de la empresa.", "Le routeur est la porte d'entrée du réseau de l'entreprise."),
  t("Change the router's default password, turn on its firewall and updates, or ask your provider to.", "Cambie la contraseña de fábrica del router, active su cortafuegos y actualizaciones, o pídalo a su proveedor.", "Changez le mot de passe d'usine du routeur, activez pare-feu et mises à jour, ou demandez-le au fournisseur.")),
 ("pr-remote", "PR.IR", "medium", "high", ["small", "medium"], None, [], CISA,
  t("Is remote access (remote desktop, VPN) closed to the internet or protected with two-step verification?", "¿El acceso remoto (escritorio remoto, VPN) está cerrado a internet o protegido con verificación en dos pasos?", "L'accès à distance (bureau à distance, VPN) est-il fermé à internet ou protégé par une vérification en deux étapes ?"),
  t("Open remote desktop is one of the main ways ransomware gets in.", "El escritorio remoto abierto es una de las principales vías de entrada del ransomware.", "Le bureau à distance ouvert est l'une des principales entrées des rançongiciels."),
  t("Close remote desktop to the internet; use a VPN with two-step verification instead.", "Cierre el escritorio remoto a internet; use en su lugar una VPN con verificación en dos pasos.", "Fermez le bureau à distance à internet ; utilisez plutôt un VPN avec vérification en deux étapes.")),
 ("pr-cards", "PR.DS", "medium", "high", None, ["retail", "hospitality", "finance"], ["retail", "hospitality"], PCI,
  t("Are card payments handled by a certified provider or terminal, so that card numbers never sit on your computers?", "¿Los pagos con tarjeta pasan por un proveedor o terminal certificado, de modo que los números de tarjeta nunca quedan en sus equipos?", "Les paiements par carte passent-ils par un prestataire ou un terminal certifié, sans que les numéros de carte restent sur vos ordinateurs ?"),
  t("Stored card numbers are what criminals look for first, and what card schemes fine.", "Los números de tarjeta guardados son lo primero que buscan los delincuentes, y lo que sancionan las marcas de tarjetas.", "Les numéros de carte stockés sont la première cible des criminels, et ce que les réseaux de cartes sanctionnent."),
  t("Use a certified payment terminal or provider and delete any card numbers kept in files or e-mail.", "Use un terminal o proveedor de pagos certificado y borre los números de tarjeta guardados en archivos o correos.", "Utilisez un terminal ou prestataire certifié et supprimez les numéros de carte conservés dans des fichiers ou courriels.")),
 ("pr-records", "PR.DS", "medium", "high", None, ["health"], ["health"], FTC,
  t("Are patient records kept in a system where each person signs in with their own account and access is logged?", "¿Las historias clínicas están en un sistema donde cada persona entra con su propia cuenta y los accesos quedan registrados?", "Les dossiers des patients sont-ils dans un système où chacun se connecte avec son compte et où les accès sont journalisés ?"),
  t("Health records are sensitive and valuable; you must be able to tell who saw what.", "Las historias clínicas son sensibles y valiosas; debe poder saber quién vio qué.", "Les dossiers de santé sont sensibles et précieux ; il faut pouvoir dire qui a vu quoi."),
  t("Keep patient data in a records system with personal accounts and access logs, not in shared folders.", "Guarde los datos de pacientes en un sistema con cuentas personales y registro de accesos, no en carpetas compartidas.", "Gardez les données patients dans un logiciel avec comptes personnels et journal d'accès, pas dans des dossiers partagés.")),
 ("de-alerts", "DE.CM", "low", "medium", None, None, [], CISA,
  t("Are security warnings (unusual sign-ins, antivirus alerts, cloud service notices) read and acted on by someone?", "¿Alguien lee y atiende los avisos de seguridad (inicios de sesión inusuales, alertas del antivirus, avisos de servicios en la nube)?", "Quelqu'un lit-il et traite-t-il les avertissements de sécurité (connexions inhabituelles, alertes antivirus, avis des services cloud) ?"),
  t("Attacks are often announced by warnings that nobody read.", "Los ataques suelen anunciarse con avisos que nadie leyó.", "Les attaques sont souvent annoncées par des avertissements que personne n'a lus."),
  t("Send security warnings to the responsible person's mailbox and check them weekly.", "Envíe los avisos de seguridad al buzón de la persona responsable y revíselos cada semana.", "Envoyez les avertissements de sécurité à la personne responsable et consultez-les chaque semaine.")),
 ("de-fraud", "DE.AE", "low", "high", None, None, ["finance", "retail", "professional"], FTC,
  t("Would you notice an unusual payment request, an unknown sign-in or a changed bank account before acting on it?", "¿Notaría una solicitud de pago inusual, un inicio de sesión desconocido o un cambio de cuenta bancaria antes de actuar?", "Remarqueriez-vous une demande de paiement inhabituelle, une connexion inconnue ou un RIB modifié avant d'agir ?"),
  t("Invoice and CEO fraud costs small businesses more than any malware.", "El fraude de facturas y del falso directivo cuesta a las pequeñas empresas más que cualquier malware.", "La fraude au faux fournisseur ou au président coûte plus aux petites entreprises que tout logiciel malveillant."),
  t("Confirm every new or changed bank account by phone, on a number you already had.", "Confirme toda cuenta bancaria nueva o cambiada por teléfono, a un número que ya tenía.", "Confirmez tout RIB nouveau ou modifié par téléphone, à un numéro que vous aviez déjà.")),
 ("rs-plan", "RS.MA", "low", "high", None, None, [], NIST,
  t("Do you have a short written plan for an incident: what to do first and whom to call (IT support, the CIRT, the bank, the police)?", "¿Tiene un plan escrito y breve para un incidente: qué hacer primero y a quién llamar (soporte, el CIRT, el banco, la policía)?", "Avez-vous un plan écrit et court en cas d'incident : que faire d'abord et qui appeler (support, le CIRT, la banque, la police) ?"),
  t("In the first hour of an incident, a one-page plan saves time, money and evidence.", "En la primera hora de un incidente, un plan de una página ahorra tiempo, dinero y pruebas.", "Dans la première heure d'un incident, un plan d'une page économise temps, argent et preuves."),
  t("Write one page: first steps, phone numbers, who decides; print it and keep it by the door.", "Escriba una página: primeros pasos, teléfonos, quién decide; imprímala y téngala a mano.", "Rédigez une page : premières actions, numéros, qui décide ; imprimez-la et gardez-la à portée de main.")),
 ("rs-report", "RS.CO", "low", "medium", None, None, [], CISA,
  t("Do you know how to report an incident to your national CIRT?", "¿Sabe cómo notificar un incidente a su CIRT nacional?", "Savez-vous comment signaler un incident à votre CIRT national ?"),
  t("The CIRT can help, and warns others when it hears about an attack early.", "El CIRT puede ayudar, y avisa a otros cuando conoce un ataque a tiempo.", "Le CIRT peut aider, et prévient les autres quand il apprend une attaque tôt."),
  t("Save the CIRT's reporting address and phone number in your incident plan.", "Guarde la dirección y el teléfono de notificación del CIRT en su plan de incidentes.", "Enregistrez l'adresse et le téléphone de signalement du CIRT dans votre plan d'incident.")),
 ("rc-continue", "RC.RP", "medium", "medium", None, None, ["health", "hospitality", "manufacturing"], NIST,
  t("Could the business keep working, even slowly, for a week without its main computer system?", "¿Podría la empresa seguir funcionando, aunque más despacio, una semana sin su sistema informático principal?", "L'entreprise pourrait-elle continuer, même au ralenti, une semaine sans son système informatique principal ?"),
  t("Recovery takes days; knowing how to work meanwhile keeps customers and income.", "Recuperarse lleva días; saber cómo trabajar mientras tanto conserva clientes e ingresos.", "Le rétablissement prend des jours ; savoir travailler entre-temps préserve clients et revenus."),
  t("Decide how you would take orders, pay and serve customers without computers, and keep paper forms ready.", "Decida cómo tomaría pedidos, pagaría y atendería sin ordenadores, y tenga formularios en papel listos.", "Décidez comment prendre les commandes, payer et servir sans ordinateurs, et gardez des formulaires papier prêts.")),
]

def main():
    questions = []
    for (qid, cat, effort, impact, sizes, sectors, emphasis, guide, q, why, action) in Q:
        item = {"id": qid, "category": cat, "text": q, "why": why, "action": action, "effort": effort, "impact": impact, "guide": guide}
        if sizes: item["sizes"] = sizes
        if sectors: item["sectors"] = sectors
        if emphasis: item["emphasis"] = emphasis
        questions.append(item)
    assert len(questions) == 30, len(questions)
    doc = {
        "id": "confianza-sme", "version": "2026.1",
        "title": t("Cybersecurity self-assessment for small businesses", "Autoevaluación de ciberseguridad para pequeñas empresas", "Autodiagnostic de cybersécurité pour les petites entreprises"),
        "sizes": [{"id": i, "title": x} for i, x in SIZES],
        "sectors": [{"id": i, "title": x} for i, x in SECTORS],
        "choices": [{"id": i, "points": p, "title": x} for i, p, x in CHOICES],
        "tiers": [{"tier": n, "min": m, "title": x, "summary": s} for n, m, x, s in TIERS],
        "questions": questions,
    }
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")

main()
