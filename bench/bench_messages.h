/*
 * The realistic messages that bench_parse parses, as C strings with CRLF line ends and exact
 * Content-Length values. This header is the source of truth: the .sip files in bench/messages
 * are copies for humans, rewritten by `bench_parse --write-messages bench/messages`.
 *
 * The messages follow one call through two proxies: Alice's softphone sends an INVITE and gets
 * a 100 Trying and a 200 OK (seen at the second proxy, hence three Vias), Bob's REFER
 * subscription ends with a NOTIFY carrying a sipfrag, and the phone keeps its registration
 * with an outbound REGISTER over TCP.
 */
#ifndef GOSIP_BENCH_MESSAGES_H
#define GOSIP_BENCH_MESSAGES_H

#include <stddef.h>

/* softphone INVITE with SDP */
static const char bench_msg_invite_sdp[] =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.168.1.34:5060;rport;branch=z9hG4bK.Hp3kQ8tNw\r\n"
    "Max-Forwards: 70\r\n"
    "Contact: <sip:alice@192.168.1.34:5060;transport=udp>"
    ";+sip.instance=\"<urn:uuid:1e8a3c2f-2b6e-4a55-9f3b-6a0b2c1d4e5f>\"\r\n"
    "To: <sip:bob@biloxi.example.com>\r\n"
    "From: \"Alice Liddell\" <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
    "Call-ID: 3848276298220188511@192.168.1.34\r\n"
    "CSeq: 20 INVITE\r\n"
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO, "
    "UPDATE\r\n"
    "Supported: replaces, outbound, gruu, timer\r\n"
    "User-Agent: ExamplePhone/5.2.4 (Linux; x86_64)\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 323\r\n"
    "\r\n"
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 192.168.1.34\r\n"
    "s=Talk\r\n"
    "c=IN IP4 192.168.1.34\r\n"
    "t=0 0\r\n"
    "m=audio 7078 RTP/AVP 96 9 0 8 101\r\n"
    "a=rtpmap:96 opus/48000/2\r\n"
    "a=fmtp:96 useinbandfec=1\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n";

/* 200 OK to INVITE, three Vias, two Record-Routes, SDP */
static const char bench_msg_ok200_invite[] =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP proxy2.biloxi.example.com:5060;branch=z9hG4bK721e418c4.1"
    ";received=192.0.2.222\r\n"
    "Via: SIP/2.0/UDP proxy1.atlanta.example.com:5060;branch=z9hG4bK2d4790.1"
    ";received=192.0.2.111\r\n"
    "Via: SIP/2.0/UDP 192.168.1.34:5060;rport=49152;received=198.51.100.7"
    ";branch=z9hG4bK.Hp3kQ8tNw\r\n"
    "Record-Route: <sip:proxy2.biloxi.example.com;lr>\r\n"
    "Record-Route: <sip:proxy1.atlanta.example.com;lr>\r\n"
    "From: \"Alice Liddell\" <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
    "To: <sip:bob@biloxi.example.com>;tag=314159\r\n"
    "Call-ID: 3848276298220188511@192.168.1.34\r\n"
    "CSeq: 20 INVITE\r\n"
    "Contact: <sip:bob@192.0.2.4:5060;transport=udp>\r\n"
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO, "
    "UPDATE\r\n"
    "Supported: replaces, timer\r\n"
    "Server: ExamplePBX/2.1\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 241\r\n"
    "\r\n"
    "v=0\r\n"
    "o=bob 2808844564 2808844564 IN IP4 192.0.2.4\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.4\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 96 101\r\n"
    "a=rtpmap:96 opus/48000/2\r\n"
    "a=fmtp:96 useinbandfec=1\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n";

/* REGISTER with outbound Contact */
static const char bench_msg_register[] =
    "REGISTER sip:registrar.atlanta.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/TCP 192.168.1.34:52917;rport;branch=z9hG4bK.8nQs2aLk9\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:alice@atlanta.example.com>;tag=Zx81kPq0\r\n"
    "To: <sip:alice@atlanta.example.com>\r\n"
    "Call-ID: 7tq0YfG3dJwXb2Lr@192.168.1.34\r\n"
    "CSeq: 3 REGISTER\r\n"
    "Contact: <sip:alice@192.168.1.34:52917;transport=tcp>"
    ";+sip.instance=\"<urn:uuid:1e8a3c2f-2b6e-4a55-9f3b-6a0b2c1d4e5f>\";reg-id=1"
    ";expires=3600\r\n"
    "Expires: 3600\r\n"
    "Supported: path, outbound, gruu\r\n"
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO, "
    "UPDATE\r\n"
    "User-Agent: ExamplePhone/5.2.4 (Linux; x86_64)\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

/* 100 Trying */
static const char bench_msg_trying100[] =
    "SIP/2.0 100 Trying\r\n"
    "Via: SIP/2.0/UDP 192.168.1.34:5060;rport=49152;received=198.51.100.7"
    ";branch=z9hG4bK.Hp3kQ8tNw\r\n"
    "From: \"Alice Liddell\" <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
    "To: <sip:bob@biloxi.example.com>\r\n"
    "Call-ID: 3848276298220188511@192.168.1.34\r\n"
    "CSeq: 20 INVITE\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

/* NOTIFY for a REFER with a sipfrag body */
static const char bench_msg_notify_sipfrag[] =
    "NOTIFY sip:alice@192.168.1.34:5060;transport=udp SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bK3f1c9e77a\r\n"
    "Max-Forwards: 70\r\n"
    "Route: <sip:proxy2.biloxi.example.com;lr>, <sip:proxy1.atlanta.example.com;lr>\r\n"
    "From: <sip:bob@biloxi.example.com>;tag=314159\r\n"
    "To: \"Alice Liddell\" <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
    "Call-ID: 3848276298220188511@192.168.1.34\r\n"
    "CSeq: 31 NOTIFY\r\n"
    "Contact: <sip:bob@192.0.2.4:5060;transport=udp>\r\n"
    "Event: refer\r\n"
    "Subscription-State: terminated;reason=noresource\r\n"
    "Content-Type: message/sipfrag;version=2.0\r\n"
    "Content-Length: 16\r\n"
    "\r\n"
    "SIP/2.0 200 OK\r\n";

typedef struct bench_message {
    const char *name; /* file stem in bench/messages */
    const char *text;
    size_t len;
} bench_message;

#define BENCH_MESSAGE(stem) {#stem, bench_msg_##stem, sizeof(bench_msg_##stem) - 1}

/* The mix, in the order a round parses it. */
static const bench_message bench_messages[] = {
    BENCH_MESSAGE(invite_sdp),
    BENCH_MESSAGE(ok200_invite),
    BENCH_MESSAGE(register),
    BENCH_MESSAGE(trying100),
    BENCH_MESSAGE(notify_sipfrag),
};

#define BENCH_N_MESSAGES (sizeof(bench_messages) / sizeof(bench_messages[0]))

#endif
