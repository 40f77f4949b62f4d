package kernel

// Linux errno values (include/uapi/asm-generic/errno-base.h, errno.h).
const (
	ePERM           = 1
	eNOENT          = 2
	eSRCH           = 3
	eINTR           = 4
	eBADF           = 9
	eCHILD          = 10
	eAGAIN          = 11
	eNOMEM          = 12
	eFAULT          = 14
	eBUSY           = 16
	eEXIST          = 17
	eNODEV          = 19
	eNOTDIR         = 20
	eINVAL          = 22
	eNFILE          = 23
	eMFILE          = 24
	eNOTTY          = 25
	eSPIPE          = 29
	eNOSPC          = 28
	ePIPE           = 32
	eNAMETOOLONG    = 36
	eNOLCK          = 37
	eNOSYS          = 38
	eNOTSOCK        = 88
	eDESTADDRREQ    = 89
	eMSGSIZE        = 90
	eNOPROTOOPT     = 92
	ePROTONOSUPPORT = 93
	eOPNOTSUPP      = 95
	eAFNOSUPPORT    = 97
	eADDRINUSE      = 98
	eNOBUFS         = 105
	eTOOMANYREFS    = 109
	eADDRNOTAVAIL   = 99
	eNETUNREACH     = 101
	eCONNRESET      = 104
	eALREADY        = 114
	eINPROGRESS     = 115
	eISCONN         = 106
	eNOTCONN        = 107
	eTIMEDOUT       = 110
	eCONNREFUSED    = 111
)

// errno encodes -e as a syscall return value.
func errno(e int) uint64 { return uint64(-int64(e)) }

// noReturn is returned by a syscall handler that has already set up the
// thread's registers (sigreturn) or put it to sleep (a blocking call whose
// result is set when it wakes).
const noReturn = ^uint64(0) - 4095 - 1
